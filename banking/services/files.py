"""The ACHP01 file of a batch: written, encrypted and signed, stored, and downloaded for the bank portal."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from banking import calendar, codec, crypto, events
from banking import secrets as bank_secrets
from banking.audit import audit_record_append
from banking.models import (
    Bank,
    BatchStatus,
    CollectionBatch,
    Direction,
    TransferFile,
)


class BankKeyMissingError(ValidationError):
    """A bank secret no source has: the message names it; nothing was changed, so the step can be retried."""

    def __init__(self, *, bank: Bank, name: str) -> None:
        self.secret_name = name
        super().__init__(
            {
                "key_reference": _(
                    "The secret %(name)s of bank %(bank)s is not configured: set it (or %(name)s_FILE, or "
                    "the file $BANKING_SECRETS_DIR/%(name)s), then try again."
                )
                % {"name": name, "bank": bank.code}
            }
        )


def bank_keys_load(bank: Bank) -> crypto.BankKeys:
    """The bank's keys; a missing or malformed secret is a ValidationError naming it (never a traceback)."""
    try:
        return crypto.load_bank_keys(bank.key_reference)
    except bank_secrets.SecretNotFoundError as error:
        raise BankKeyMissingError(bank=bank, name=error.name) from error
    except (crypto.EnvelopeError, ValueError, TypeError) as error:
        raise ValidationError(
            {"key_reference": _("A key of bank %(bank)s is malformed: %(error)s") % {"bank": bank.code, "error": error}}
        ) from error


def bank_missing_secrets(bank: Bank) -> list[str]:
    """Names of the secrets the bank's files need (file key, signing key) that no source has."""
    missing = []
    for purpose in (bank_secrets.FILE_KEY, bank_secrets.SIGNING_KEY):
        name = bank_secrets.bank_secret_name(bank.key_reference, purpose)
        try:
            bank_secrets.secrets.get(name)
        except bank_secrets.SecretNotFoundError:
            missing.append(name)
    return missing


def bank_keys_audited(
    bank: Bank, *, actor: AbstractBaseUser | str | None, batch_id: int | None, purpose: str
) -> crypto.BankKeys:
    """The bank's keys from the secret source; every use is an audit record."""
    keys = bank_keys_load(bank)
    audit_record_append(
        action="key.used",
        actor=actor,
        bank_code=bank.code,
        batch_id=batch_id,
        details={"key_reference": bank.key_reference, "purpose": purpose},
    )
    return keys


def return_file_refuse_known_content(*, bank: Bank, file_name: str, plain: bytes) -> None:
    """Refuse a return file whose content is already stored under another name (the same file renamed)."""
    same = (
        TransferFile.objects.filter(
            bank=bank, direction=Direction.INCOMING, kind=codec.ACHR01, sha256=crypto.sha256_hex(plain)
        )
        .exclude(file_name=file_name)
        .first()
    )
    if same is not None:
        raise ValidationError(
            {
                "file": _(
                    "This file has the same content as %(name)s, imported on %(date)s; nothing was imported again."
                )
                % {"name": same.file_name, "date": timezone.localtime(same.created_at).strftime("%Y-%m-%d %H:%M")}
            }
        )


def transfer_file_store(
    *, bank: Bank, direction: str, kind: str, file_name: str, plain: bytes, sealed: bytes, **fields: object
) -> TransferFile:
    """Store a transfer file with the sizes and hashes of its plain and sealed bytes (the one place that does).

    A return file whose content is already stored under another name is refused: the unique
    constraint on (bank, plain hash) of return files decides, so two concurrent imports can't both pass.
    """
    is_return_file = direction == Direction.INCOMING and kind == codec.ACHR01
    if is_return_file:
        return_file_refuse_known_content(bank=bank, file_name=file_name, plain=plain)
    try:
        with transaction.atomic():
            return TransferFile.objects.create(
                bank=bank,
                direction=direction,
                kind=kind,
                file_name=file_name,
                size=len(plain),
                sha256=crypto.sha256_hex(plain),
                sealed_size=len(sealed),
                sealed_sha256=crypto.sha256_hex(sealed),
                sealed_content=sealed,
                **fields,
            )
    except IntegrityError:
        # A concurrent import of the same content committed first.
        if is_return_file:
            return_file_refuse_known_content(bank=bank, file_name=file_name, plain=plain)
        raise


def bank_seal(*, bank: Bank, keys: crypto.BankKeys, plain: bytes, file_name: str) -> bytes:
    """Encrypt and sign a file for a bank with its keys and signature algorithm."""
    return crypto.seal(
        plain=plain,
        file_name=file_name,
        file_key=keys.file_key,
        signing_key=keys.signing_key,
        algorithm=bank.signature_algorithm,
    )


def outgoing_file_seal_and_store(
    *, bank: Bank, keys: crypto.BankKeys, kind: str, file_name: str, plain: bytes, **fields: object
) -> TransferFile:
    """Seal a file we send to the bank and store it as an outgoing transfer file."""
    return transfer_file_store(
        bank=bank,
        direction=Direction.OUTGOING,
        kind=kind,
        file_name=file_name,
        plain=plain,
        sealed=bank_seal(bank=bank, keys=keys, plain=plain, file_name=file_name),
        **fields,
    )


def incoming_file_stored(*, bank: Bank, file_name: str) -> TransferFile | None:
    """The file from the bank already stored under this name (imports are idempotent by file name), if any."""
    return TransferFile.objects.filter(bank=bank, direction=Direction.INCOMING, file_name=file_name).first()


def incoming_file_store(
    *, bank: Bank, kind: str, file_name: str, plain: bytes, envelope: bytes, sealed: bool, **fields: object
) -> TransferFile:
    """Store a file from the bank (opened by incoming_file_read) as an incoming transfer file delivered now."""
    return transfer_file_store(
        bank=bank,
        direction=Direction.INCOMING,
        kind=kind,
        file_name=file_name,
        plain=plain,
        sealed=envelope,
        sealed_by_bank=sealed,
        delivered_at=timezone.now(),
        **fields,
    )


def incoming_file_open(
    *, bank: Bank, keys: crypto.BankKeys, file_name: str, data: bytes, sealed: bool
) -> tuple[bytes, bytes]:
    """A file from the bank as (plain, sealed envelope): a sealed one is verified and opened; a plain
    one (uploaded by hand from the bank's portal) is sealed with our keys so it is stored like the rest."""
    if sealed:
        if keys.bank_public_key is None:
            raise ValidationError({"file": _("The bank's public key is not configured.")})
        try:
            plain = crypto.open_envelope(
                envelope=data, file_name=file_name, file_key=keys.file_key, sender_public_key=keys.bank_public_key
            )
        except crypto.EnvelopeError as error:
            raise ValidationError({"file": str(error)}) from error
        envelope = data
    else:
        plain = data
        envelope = bank_seal(bank=bank, keys=keys, plain=plain, file_name=file_name)
    return plain, envelope


def incoming_file_read(
    *,
    bank: Bank,
    file_name: str,
    data: bytes,
    sealed: bool,
    actor: AbstractBaseUser | str | None,
    kind: str,
    purpose: str,
    wrong_kind: str,
) -> tuple[bytes, bytes, codec.AchFile]:
    """A file from the bank as (plain, sealed envelope, parsed file) of the expected kind; a file that fails
    to parse is refused whole with every error listed, one of another kind with `wrong_kind`."""
    keys = bank_keys_audited(
        bank, actor=actor, batch_id=None, purpose=f"open {purpose}" if sealed else f"seal {purpose} copy"
    )
    plain, envelope = incoming_file_open(bank=bank, keys=keys, file_name=file_name, data=data, sealed=sealed)
    parsed = codec.parse_file(plain)
    if not parsed.is_valid or parsed.file is None:
        raise ValidationError({"file": [str(error) for error in parsed.errors]})
    if parsed.file.kind != kind:
        raise ValidationError({"file": [wrong_kind]})
    return plain, envelope, parsed.file


def batch_file_name(batch: CollectionBatch) -> str:
    return batch.bank.file_name_pattern.format(
        sending_unit=batch.bank.sending_unit, date=codec.roc_date(batch.collection_date), batch=batch.pk
    )


def batch_build_plain_file(*, batch: CollectionBatch) -> bytes:
    """The ACHP01 bytes for a batch's items (decrypting accounts); raises CodecError naming the field.

    Deterministic: the header's time is when the batch was prepared, so the file `ach_build` writes
    and the file generated on approval (the one sent) are the same bytes while the date holds."""
    bank = batch.bank
    items = batch.items.select_related("mandate__account").order_by("sequence")
    debits = [
        codec.Debit(
            sequence=item.sequence,
            customer_bank=item.mandate.account.bank_branch,
            customer_account=item.mandate.account.account_number,
            amount=item.amount,
            customer_id=item.mandate.account.holder_id,
            customer_number=item.mandate.customer_number,
            note=item.note,
            memo="LUCKYGAS",
        )
        for item in items
    ]
    local = timezone.localtime(batch.prepared_at)
    return codec.build_submission(
        processing_date=batch.collection_date,
        processing_time=local.time(),
        sending_bank=bank.sending_unit,
        originator_account=bank.originator_account,
        originator_tax_id=bank.originator_tax_id,
        transaction_code=bank.transaction_code,
        debits=debits,
    )


def batch_generate_file(*, batch: CollectionBatch, actor: AbstractBaseUser | str | None = None) -> TransferFile:
    """Write, encrypt and sign the batch's ACHP01 (approved → generated). Idempotent: returns the existing file."""
    with transaction.atomic():
        locked = CollectionBatch.objects.select_for_update().select_related("bank").get(pk=batch.pk)
        existing = locked.files.filter(direction=Direction.OUTGOING).first()
        if existing is not None:
            return existing
        if locked.status != BatchStatus.APPROVED:
            raise ValidationError({"status": _("Only an approved batch gets a file.")})
        # After the bank's cut-off (the 22:00 window) or on a holiday the file carries the next business day.
        earliest = calendar.processing_date_for(timezone.now(), cutoff=locked.bank.upload_cutoff)
        moved_from = None
        if locked.collection_date < earliest or not calendar.is_business_day(locked.collection_date):
            moved_from = locked.collection_date
            locked.collection_date = max(earliest, calendar.next_business_day(moved_from, include_today=True))
            locked.save(update_fields=["collection_date"])
        plain = batch_build_plain_file(batch=locked)
        name = batch_file_name(locked)
        keys = bank_keys_audited(locked.bank, actor=actor, batch_id=locked.pk, purpose="encrypt and sign ACHP01")
        transfer = outgoing_file_seal_and_store(
            bank=locked.bank,
            keys=keys,
            kind=codec.ACHP01,
            file_name=name,
            plain=plain,
            batch=locked,
            record_count=locked.item_count,
            total_amount=locked.total_amount,
        )
        locked.status = BatchStatus.GENERATED
        locked.save(update_fields=["status"])
        audit_record_append(
            action="file.generated",
            actor=actor,
            bank_code=locked.bank.code,
            batch_id=locked.pk,
            file_sha256=transfer.sha256,
            details={
                "file": name,
                "sealed_sha256": transfer.sealed_sha256,
                "items": locked.item_count,
                "date_moved_from": moved_from,
            },
        )
        events.publish_on_commit(events.BATCH_CHANGED, batch_id=locked.pk)
    return transfer


def transfer_file_plain(*, transfer: TransferFile) -> bytes:
    """Decrypt a stored file after checking its signature (ours for outgoing files, the bank's for incoming)."""
    keys = bank_keys_load(transfer.bank)
    if transfer.sealed_by_bank:
        if keys.bank_public_key is None:
            raise crypto.EnvelopeError("the bank's public key is not configured")
        sender = keys.bank_public_key
    else:
        sender = keys.signing_key.public_key()
    plain = crypto.open_envelope(
        envelope=bytes(transfer.sealed_content),
        file_name=transfer.file_name,
        file_key=keys.file_key,
        sender_public_key=sender,
    )
    if crypto.sha256_hex(plain) != transfer.sha256:
        raise crypto.EnvelopeError("the stored file does not match its recorded hash")
    return plain


def batch_download_file(*, batch: CollectionBatch, actor: AbstractBaseUser) -> tuple[str, bytes]:
    """The exact plain ACHP01 of a batch, for the bank portal; the download is audited."""
    transfer = batch.files.filter(direction=Direction.OUTGOING).first()
    if transfer is None:
        raise ValidationError({"status": _("This batch has no file yet.")})
    try:
        plain = transfer_file_plain(transfer=transfer)
    except crypto.EnvelopeError as error:
        # The app keeps only the current keys: a file sealed before a rotation no longer opens.
        raise ValidationError(
            {
                "file": _(
                    "The stored file %(name)s can't be opened with bank %(bank)s's current keys (%(error)s); "
                    "a file made before the keys were rotated can't be downloaded any more."
                )
                % {"name": transfer.file_name, "bank": batch.bank.code, "error": error}
            }
        ) from error
    audit_record_append(
        action="file.downloaded",
        actor=actor,
        bank_code=batch.bank.code,
        batch_id=batch.pk,
        file_sha256=transfer.sha256,
        details={"file": transfer.file_name},
    )
    return transfer.file_name.removesuffix(".enc"), plain
