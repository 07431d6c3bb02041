"""Every write of the banking app: accounts and mandates, batches, files, uploads, returns, settlement."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from banking import calendar, codec, crypto, events
from banking import secrets as bank_secrets
from banking.audit import audit_record_append
from banking.models import (
    Bank,
    BankAccount,
    BatchStatus,
    CollectionBatch,
    CollectionItem,
    Direction,
    ItemStatus,
    Mandate,
    MandateStatus,
    NextAction,
    Reconciliation,
    ReturnRecord,
    TransferFile,
    UploadMethod,
)
from banking.transport import BankClient, DeliveryResult, Endpoint, load_private_key
from luckygas.delivery.models import Customer, Invoice, InvoiceStatus, PaymentChannel, PaymentMethod
from luckygas.delivery.services import invoice_record_payment
from luckygas.masking import mask_account

logger = logging.getLogger(__name__)


# --- Accounts and mandates ---------------------------------------------------------------
def bank_account_create(*, customer: Customer, bank_branch: str, account_number: str, holder_id: str) -> BankAccount:
    """Store a customer's account, encrypted; refuses a bad branch code, account or holder ID."""
    errors = {}
    if not (bank_branch.isdigit() and len(bank_branch) == 7):
        errors["bank_branch"] = _("Enter the 7-digit bank and branch code.")
    if not account_number.isdigit():
        errors["account_number"] = _("The account number must contain digits only.")
    elif len(account_number) > 16:
        errors["account_number"] = _("The account number has more than 16 digits.")
    holder_id = holder_id.strip().upper()
    if not codec.is_valid_customer_id(holder_id):
        errors["holder_id"] = _("Not a valid company tax ID or national ID.")
    if errors:
        raise ValidationError(errors)
    return BankAccount.objects.create(
        customer=customer,
        bank_branch=bank_branch,
        account_encrypted=crypto.encrypt_account(account_number),
        account_last4=account_number[-4:],
        holder_id=holder_id,
    )


def mandate_create(
    *,
    customer: Customer,
    bank: Bank,
    account: BankAccount,
    customer_number: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    limit_amount: int | None = None,
    actor: AbstractBaseUser | None = None,
) -> Mandate:
    """A pending mandate; debits start once the bank confirms it (`mandate_record_reply`)."""
    if account.customer_id != customer.pk:
        raise ValidationError({"account": _("The account belongs to another customer.")})
    if not customer_number.strip() or not customer_number.isascii() or len(customer_number) > 20:
        raise ValidationError({"customer_number": _("Enter the customer number (up to 20 ASCII characters).")})
    if end_date and end_date < start_date:
        raise ValidationError({"end_date": _("The end date is before the start date.")})
    with transaction.atomic():
        mandate = Mandate.objects.create(
            customer=customer,
            bank=bank,
            account=account,
            customer_number=customer_number,
            start_date=start_date,
            end_date=end_date,
            limit_amount=limit_amount,
        )
        audit_record_append(action="mandate.created", actor=actor, bank_code=bank.code, details={"mandate": mandate.pk})
    return mandate


def mandate_record_reply(*, mandate: Mandate, reply_code: str, actor: AbstractBaseUser | str | None = None) -> Mandate:
    """The bank's ACHP02 reply: `0` verifies the mandate, anything else rejects it."""
    if reply_code not in codec.MANDATE_REPLY_CODES:
        raise ValidationError({"reply_code": _("Unknown mandate reply code.")})
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
        locked.reply_code = reply_code
        if reply_code == "0":
            locked.status = MandateStatus.VERIFIED
            locked.verified_at = timezone.now()
        else:
            locked.status = MandateStatus.REJECTED
        locked.save(update_fields=["reply_code", "status", "verified_at"])
        audit_record_append(
            action="mandate.reply",
            actor=actor,
            bank_code=locked.bank.code,
            details={"mandate": locked.pk, "reply_code": reply_code},
        )
    mandate.refresh_from_db()
    return mandate


def mandate_file_build(*, bank: Bank, on: datetime.date, actor: AbstractBaseUser | str | None = None) -> bytes:
    """The ACHP02 file asking the bank to verify every pending mandate (`A` = new authorisation)."""
    mandates = list(
        Mandate.objects.filter(bank=bank, status=MandateStatus.PENDING).select_related("account").order_by("pk")
    )
    details = []
    for sequence, mandate in enumerate(mandates, start=1):
        details.append(
            {
                "seq": sequence,
                "txid": bank.transaction_code,
                "cid": bank.originator_tax_id,
                "rbank": mandate.account.bank_branch,
                "rclno": mandate.account.account_number,
                "pid": mandate.account.holder_id,
                "cno": mandate.customer_number,
                "admark": "A",
                "date": codec.roc_date(on),
                "pbank": bank.sending_unit,
                "note": f"LGM{mandate.pk:012d}",
                "limit": mandate.limit_amount,
                "enddate": codec.roc_date(mandate.end_date) if mandate.end_date else None,
            }
        )
    data = codec.write_file(
        codec.AchFile(
            kind=codec.ACHP02,
            header={"tdate": codec.roc_date(on), "sorg": bank.sending_unit},
            details=details,
            trailer={"tcount": len(details)},
        )
    )
    audit_record_append(
        action="mandate_file.generated",
        actor=actor,
        bank_code=bank.code,
        file_sha256=crypto.sha256_hex(data),
        details={"mandates": len(details)},
    )
    return data


def mandate_replies_import(*, bank: Bank, data: bytes, actor: AbstractBaseUser | str | None = None) -> dict[str, int]:
    """The bank's ACHP02 reply: each record's reply code verifies or rejects the mandate named in its note."""
    parsed = codec.parse_file(data)
    if not parsed.is_valid or parsed.file is None or parsed.file.kind != codec.ACHP02:
        raise ValidationError({"file": [str(error) for error in parsed.errors] or [_("This is not an ACHP02 file.")]})
    counts = {"verified": 0, "rejected": 0, "unmatched": 0}
    with transaction.atomic():
        for detail in parsed.file.details:
            note = detail["note"]
            mandate = None
            if note.startswith("LGM") and note[3:].isdigit():
                mandate = Mandate.objects.filter(pk=int(note[3:]), bank=bank, customer_number=detail["cno"]).first()
            if mandate is None or detail["reply"] not in codec.MANDATE_REPLY_CODES:
                counts["unmatched"] += 1
                continue
            mandate_record_reply(mandate=mandate, reply_code=detail["reply"], actor=actor)
            counts["verified" if detail["reply"] == "0" else "rejected"] += 1
        audit_record_append(
            action="mandate_replies.imported",
            actor=actor,
            bank_code=bank.code,
            file_sha256=crypto.sha256_hex(data),
            details=counts,
        )
    return counts


# --- Batches -----------------------------------------------------------------------------
@dataclass
class PrepareResult:
    batch: CollectionBatch | None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (invoice number, reason)


def _eligible_invoices(*, bank: Bank, collection_date: datetime.date) -> Q:
    return Q(
        status=InvoiceStatus.OPEN,
        due_date__lte=collection_date,
        customer__payment_method=PaymentMethod.DIRECT_DEBIT,
        customer__mandates__bank=bank,
    ) & ~Q(collection_items__is_open=True)


def batch_prepare(
    *,
    bank: Bank,
    collection_date: datetime.date,
    prepared_by: AbstractBaseUser,
    invoice_ids: list[int] | None = None,
) -> PrepareResult:
    """Draft a batch of every due direct-debit invoice with a verified mandate covering it (the maker's step)."""
    if not bank.is_active:
        raise ValidationError({"bank": _("This bank is not active.")})
    with transaction.atomic():
        query = Invoice.objects.filter(_eligible_invoices(bank=bank, collection_date=collection_date))
        if invoice_ids is not None:
            query = query.filter(pk__in=invoice_ids)
        # Lock the invoices (by pk) so two preparers can't put the same invoice in two batches.
        invoices = list(Invoice.objects.select_for_update().filter(pk__in=query.values("pk")).order_by("pk"))
        # Re-check after the lock: a concurrent batch may have taken some.
        taken = set(
            CollectionItem.objects.filter(invoice__in=invoices, is_open=True).values_list("invoice_id", flat=True)
        )
        mandates = {
            mandate.customer_id: mandate
            for mandate in Mandate.objects.filter(
                bank=bank, status=MandateStatus.VERIFIED, customer_id__in={invoice.customer_id for invoice in invoices}
            ).select_related("account")
        }
        result = PrepareResult(batch=None)
        chosen: list[tuple[Invoice, Mandate]] = []
        for invoice in invoices:
            if invoice.pk in taken:
                result.skipped.append((invoice.number, "already in an open batch"))
                continue
            mandate = mandates.get(invoice.customer_id)
            if mandate is None:
                result.skipped.append((invoice.number, "no verified mandate"))
                continue
            balance = invoice.amount - sum(invoice.payments.values_list("amount", flat=True))
            if balance <= 0:
                result.skipped.append((invoice.number, "nothing left to pay"))
                continue
            if not mandate.covers(amount=balance, on=collection_date):
                result.skipped.append((invoice.number, "outside the mandate's limit or dates"))
                continue
            chosen.append((invoice, mandate))
        if not chosen:
            return result
        batch = CollectionBatch.objects.create(bank=bank, collection_date=collection_date, prepared_by=prepared_by)
        items = CollectionItem.objects.bulk_create(
            [
                CollectionItem(
                    batch=batch,
                    invoice=invoice,
                    mandate=mandate,
                    sequence=index,
                    amount=invoice.amount - sum(invoice.payments.values_list("amount", flat=True)),
                    note=f"PENDING-{batch.pk}-{index}",
                )
                for index, (invoice, mandate) in enumerate(chosen, start=1)
            ]
        )
        # The note carries our item id, so each return matches back to exactly one item.
        for item in items:
            item.note = f"LG{item.pk:012d}"
        CollectionItem.objects.bulk_update(items, ["note"])
        total = sum(item.amount for item in items)
        reasons = []
        if total > bank.large_batch_total:
            reasons.append(f"total NT${total:,} over NT${bank.large_batch_total:,}")
        biggest = max(item.amount for item in items)
        if biggest > bank.large_item_amount:
            reasons.append(f"an item of NT${biggest:,} over NT${bank.large_item_amount:,}")
        batch.item_count = len(items)
        batch.total_amount = total
        batch.is_large = bool(reasons)
        batch.large_reasons = reasons
        batch.save(update_fields=["item_count", "total_amount", "is_large", "large_reasons"])
        audit_record_append(
            action="batch.prepared",
            actor=prepared_by,
            bank_code=bank.code,
            batch_id=batch.pk,
            details={"items": len(items), "total": total, "large": reasons, "skipped": len(result.skipped)},
        )
        events.publish_on_commit(events.BATCH_CHANGED, batch_id=batch.pk)
        result.batch = batch
    return result


def batch_approve(
    *, batch: CollectionBatch, approver: AbstractBaseUser, acknowledge_large: bool = False
) -> CollectionBatch:
    """The checker's step: another user with the approve permission; large batches need the flag acknowledged."""
    if not approver.has_perm("banking.approve_collectionbatch"):
        raise PermissionDenied(_("You may not approve collection batches."))
    if approver.pk == batch.prepared_by_id:
        raise ValidationError({"approved_by": _("A batch must be approved by someone other than who prepared it.")})
    if batch.is_large and not acknowledge_large:
        raise ValidationError(
            {"acknowledge_large": _("This is a large transaction; acknowledge the flag to approve it.")}
        )
    with transaction.atomic():
        claimed = CollectionBatch.objects.filter(pk=batch.pk, status=BatchStatus.DRAFT).update(
            status=BatchStatus.APPROVED,
            approved_by=approver,
            approved_at=timezone.now(),
            large_acknowledged=batch.is_large,
        )
        if not claimed:
            raise ValidationError({"status": _("Only a draft batch can be approved.")})
        audit_record_append(
            action="batch.approved",
            actor=approver,
            bank_code=batch.bank.code,
            batch_id=batch.pk,
            details={"large_acknowledged": batch.is_large, "total": batch.total_amount},
        )
        events.publish_on_commit(events.BATCH_CHANGED, batch_id=batch.pk)
        from banking.tasks import generate_batch_file

        transaction.on_commit(lambda: generate_batch_file.delay(batch.pk))
    batch.refresh_from_db()
    return batch


def batch_cancel(*, batch: CollectionBatch, actor: AbstractBaseUser, reason: str) -> CollectionBatch:
    """Cancel a batch not yet sent to the bank; its invoices become free for another batch."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the batch is cancelled.")})
    with transaction.atomic():
        claimed = CollectionBatch.objects.filter(
            pk=batch.pk, status__in=[BatchStatus.DRAFT, BatchStatus.APPROVED, BatchStatus.GENERATED]
        ).update(status=BatchStatus.CANCELLED)
        if not claimed:
            raise ValidationError({"status": _("A batch sent to the bank can't be cancelled.")})
        batch.items.update(status=ItemStatus.CANCELLED, is_open=False, resolved_at=timezone.now())
        audit_record_append(
            action="batch.cancelled",
            actor=actor,
            bank_code=batch.bank.code,
            batch_id=batch.pk,
            details={"reason": reason},
        )
    batch.refresh_from_db()
    return batch


def _bank_keys(
    bank: Bank, *, actor: AbstractBaseUser | str | None, batch_id: int | None, purpose: str
) -> crypto.BankKeys:
    keys = crypto.load_bank_keys(bank.key_reference)
    audit_record_append(
        action="key.used",
        actor=actor,
        bank_code=bank.code,
        batch_id=batch_id,
        details={"key_reference": bank.key_reference, "purpose": purpose},
    )
    return keys


def batch_file_name(batch: CollectionBatch) -> str:
    return batch.bank.file_name_pattern.format(
        sending_unit=batch.bank.sending_unit, date=codec.roc_date(batch.collection_date), batch=batch.pk
    )


def batch_build_plain_file(*, batch: CollectionBatch, generated_at: datetime.datetime | None = None) -> bytes:
    """The ACHP01 bytes for a batch's items (decrypting accounts); raises CodecError naming the field."""
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
    local = timezone.localtime(generated_at or timezone.now())
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
        keys = _bank_keys(locked.bank, actor=actor, batch_id=locked.pk, purpose="encrypt and sign ACHP01")
        sealed = crypto.seal(
            plain=plain,
            file_name=name,
            file_key=keys.file_key,
            signing_key=keys.signing_key,
            algorithm=locked.bank.signature_algorithm,
        )
        transfer = TransferFile.objects.create(
            bank=locked.bank,
            batch=locked,
            direction=Direction.OUTGOING,
            kind=codec.ACHP01,
            file_name=name,
            size=len(plain),
            sha256=crypto.sha256_hex(plain),
            sealed_size=len(sealed),
            sealed_sha256=crypto.sha256_hex(sealed),
            sealed_content=sealed,
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
    keys = crypto.load_bank_keys(transfer.bank.key_reference)
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
    plain = transfer_file_plain(transfer=transfer)
    audit_record_append(
        action="file.downloaded",
        actor=actor,
        bank_code=batch.bank.code,
        batch_id=batch.pk,
        file_sha256=transfer.sha256,
        details={"file": transfer.file_name},
    )
    return transfer.file_name.removesuffix(".enc"), plain


def bank_endpoint(bank: Bank) -> Endpoint:
    return Endpoint(
        bank_code=bank.code,
        host=bank.sftp_host,
        port=bank.sftp_port,
        username=bank.sftp_username,
        host_key=bank.host_key,
        private_key=load_private_key(bank_secrets.bank_secret(bank.key_reference, bank_secrets.SFTP_KEY)),
    )


def bank_client(bank: Bank, **options: object) -> BankClient:
    from banking import conf

    options.setdefault("max_attempts", conf.transport_max_attempts())
    options.setdefault("backoff_base", conf.transport_backoff_seconds())
    return BankClient(bank_endpoint(bank), **options)  # type: ignore[arg-type]


def _mark_uploaded(
    *, batch: CollectionBatch, method: str, actor: AbstractBaseUser | str | None, case_number: str = "", details: dict
) -> None:
    now = timezone.now()
    claimed = CollectionBatch.objects.filter(pk=batch.pk, status=BatchStatus.GENERATED).update(
        status=BatchStatus.UPLOADED, upload_method=method, uploaded_at=now, bank_case_number=case_number, last_error=""
    )
    if not claimed:
        raise ValidationError({"status": _("Only a batch with a generated file can be marked uploaded.")})
    transfer = batch.files.get(direction=Direction.OUTGOING)
    transfer.delivered_at = now
    transfer.save(update_fields=["delivered_at"])
    audit_record_append(
        action="batch.uploaded",
        actor=actor,
        bank_code=batch.bank.code,
        batch_id=batch.pk,
        file_sha256=transfer.sealed_sha256 if method == UploadMethod.SFTP else transfer.sha256,
        details={"method": method, "case_number": case_number, **details},
    )
    events.publish_on_commit(events.BATCH_CHANGED, batch_id=batch.pk)


def batch_upload(*, batch: CollectionBatch, client: BankClient | None = None) -> DeliveryResult | None:
    """Send a generated batch's sealed file by SFTP exactly once; None when it was already uploaded.

    The batch row stays locked for the whole upload, so two workers never send the same batch
    at once; the transport's listing before any retry covers an acknowledgement lost on the way.
    A failure is recorded (attempts, last error, audit) and then raised for the task to retry.
    """
    failure: Exception | None = None
    result: DeliveryResult | None = None
    with transaction.atomic():
        locked = CollectionBatch.objects.select_for_update().select_related("bank").get(pk=batch.pk)
        if locked.status != BatchStatus.GENERATED:
            return None
        transfer = locked.files.get(direction=Direction.OUTGOING)
        try:
            client = client or bank_client(locked.bank)
            result = client.deliver(
                data=bytes(transfer.sealed_content), folder=locked.bank.upload_folder, name=transfer.file_name
            )
        except Exception as error:
            failure = error
        CollectionBatch.objects.filter(pk=locked.pk).update(
            upload_attempts=F("upload_attempts") + 1,
            last_error="" if failure is None else f"{type(failure).__name__}: {failure}"[:2000],
        )
        if failure is not None:
            audit_record_append(
                action="upload.failed",
                actor="system",
                bank_code=locked.bank.code,
                batch_id=locked.pk,
                file_sha256=transfer.sealed_sha256,
                details={"error": type(failure).__name__, "message": str(failure)[:500]},
            )
        elif result is not None:
            _mark_uploaded(
                batch=locked,
                method=UploadMethod.SFTP,
                actor="system",
                details={
                    "remote_path": result.remote_path,
                    "attempts": result.attempts,
                    "found": result.already_present,
                },
            )
    if failure is not None:
        raise failure
    return result


def batch_mark_uploaded_manually(
    *, batch: CollectionBatch, actor: AbstractBaseUser, case_number: str
) -> CollectionBatch:
    """The manual path: the file went through the bank's portal; record the bank's case number."""
    if not case_number.strip():
        raise ValidationError({"case_number": _("Enter the bank's case number.")})
    with transaction.atomic():
        CollectionBatch.objects.select_for_update().get(pk=batch.pk)
        _mark_uploaded(
            batch=batch, method=UploadMethod.PORTAL, actor=actor, case_number=case_number.strip(), details={}
        )
    batch.refresh_from_db()
    return batch


# --- Returns and settlement --------------------------------------------------------------
@dataclass
class ImportResult:
    transfer: TransferFile
    matched: int
    unmatched: int
    batches: list[int]
    created: bool = True


def returns_import(
    *,
    bank: Bank,
    file_name: str,
    data: bytes,
    sealed: bool,
    actor: AbstractBaseUser | str | None = None,
    today: datetime.date | None = None,
) -> ImportResult:
    """Import an ACHR01 (sealed by the bank, or plain when uploaded by hand), match returns, settle what may be.

    Idempotent by file name: importing the same file again changes nothing. A file that fails to
    parse is refused whole, with every error listed.
    """
    existing = TransferFile.objects.filter(bank=bank, direction=Direction.INCOMING, file_name=file_name).first()
    if existing is not None:
        return ImportResult(existing, 0, 0, [], created=False)
    keys = _bank_keys(bank, actor=actor, batch_id=None, purpose="open ACHR01" if sealed else "seal ACHR01 copy")
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
        envelope = crypto.seal(
            plain=plain,
            file_name=file_name,
            file_key=keys.file_key,
            signing_key=keys.signing_key,
            algorithm=bank.signature_algorithm,
        )
    parsed = codec.parse_file(plain)
    if not parsed.is_valid or parsed.file is None:
        raise ValidationError({"file": [str(error) for error in parsed.errors]})
    if parsed.file.kind != codec.ACHR01:
        raise ValidationError({"file": _("This is not an ACHR01 return file.")})
    ach_file = parsed.file
    today = today or timezone.localdate()
    with transaction.atomic():
        transfer = TransferFile.objects.create(
            bank=bank,
            direction=Direction.INCOMING,
            kind=codec.ACHR01,
            file_name=file_name,
            size=len(plain),
            sha256=crypto.sha256_hex(plain),
            sealed_size=len(envelope),
            sealed_sha256=crypto.sha256_hex(envelope),
            sealed_content=envelope,
            sealed_by_bank=sealed,
            record_count=len(ach_file.details),
            total_amount=ach_file.total_amount,
            delivered_at=timezone.now(),
        )
        notes = [detail["note"] for detail in ach_file.details]
        items = {
            item.note: item
            for item in CollectionItem.objects.select_for_update()
            .filter(note__in=notes, batch__bank=bank)
            .select_related("mandate")
            .order_by("pk")
        }
        batch_ids: set[int] = set()
        matched = unmatched = 0
        records = []
        for line_number, detail in enumerate(ach_file.details, start=2):
            code = codec.return_code_text(detail["rcode"])
            item = items.get(detail["note"])
            problem = ""
            if item is None:
                problem = "no item with this note"
            elif item.amount != detail["amt"] or item.sequence != detail["pseq"]:
                problem = "amount or sequence differs from the item"
                item = None
            elif item.status != ItemStatus.PENDING:
                problem = f"item already {item.status}"
                item = None
            records.append(
                ReturnRecord(
                    transfer_file=transfer,
                    item=item,
                    line_number=line_number,
                    sequence=detail["pseq"] or 0,
                    original_date=codec.parse_roc_date(f"{detail['pdate']:08d}") if detail["pdate"] else None,
                    amount=detail["amt"],
                    return_code=code,
                    note=detail["note"],
                    problem=problem,
                )
            )
            if item is None:
                unmatched += 1
                continue
            matched += 1
            batch_ids.add(item.batch_id)
            item.status = ItemStatus.RETURNED
            item.return_code = code
            item.next_action = NextAction.RETRY if code in codec.RETRYABLE_RETURN_CODES else NextAction.FIX_MANDATE
            item.is_open = False
            item.resolved_at = timezone.now()
            item.save(update_fields=["status", "return_code", "next_action", "is_open", "resolved_at"])
            if item.next_action == NextAction.FIX_MANDATE:
                Mandate.objects.filter(pk=item.mandate_id, status=MandateStatus.VERIFIED).update(
                    status=MandateStatus.SUSPENDED, note=f"return {code}: {codec.RETURN_REASONS.get(code, '')}"[:200]
                )
        ReturnRecord.objects.bulk_create(records)
        # The return file answers for the batches submitted on its previous business day (YDATE),
        # including batches with no returns at all.
        ydate = ach_file.trailer.get("ydate")
        if ydate:
            submitted_on = codec.parse_roc_date(f"{ydate:08d}")
            batch_ids |= set(
                CollectionBatch.objects.filter(
                    bank=bank, status=BatchStatus.UPLOADED, collection_date=submitted_on
                ).values_list("pk", flat=True)
            )
        for batch in CollectionBatch.objects.select_for_update().filter(pk__in=batch_ids).order_by("pk"):
            if batch.status == BatchStatus.UPLOADED:
                batch.status = BatchStatus.RETURNS_RECEIVED
                batch.returns_received_at = timezone.now()
                batch.return_window_closes_on = calendar.add_business_days(
                    batch.collection_date, bank.return_window_business_days
                )
                batch.save(update_fields=["status", "returns_received_at", "return_window_closes_on"])
        audit_record_append(
            action="returns.imported",
            actor=actor,
            bank_code=bank.code,
            file_sha256=transfer.sha256,
            details={
                "file": file_name,
                "method": "sftp" if sealed else "manual",
                "records": len(records),
                "matched": matched,
                "unmatched": unmatched,
                "batches": sorted(batch_ids),
            },
        )
        for batch_id in batch_ids:
            events.publish_on_commit(events.BATCH_CHANGED, batch_id=batch_id)
    for batch in CollectionBatch.objects.filter(pk__in=batch_ids, status=BatchStatus.RETURNS_RECEIVED):
        batch_settle(batch=batch, today=today)
    return ImportResult(transfer, matched, unmatched, sorted(batch_ids))


def batch_settle(*, batch: CollectionBatch, today: datetime.date | None = None) -> Reconciliation | None:
    """Once the return window has closed, every item not returned was collected: pay its invoice, reconcile."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = CollectionBatch.objects.select_for_update().select_related("bank").get(pk=batch.pk)
        if locked.status != BatchStatus.RETURNS_RECEIVED:
            return None
        if locked.return_window_closes_on and today < locked.return_window_closes_on:
            return None
        received_at = timezone.now()
        pending = list(
            locked.items.select_for_update().filter(status=ItemStatus.PENDING).select_related("invoice").order_by("pk")
        )
        for item in pending:
            payment = invoice_record_payment(
                invoice=item.invoice,
                amount=item.amount,
                channel=PaymentChannel.DIRECT_DEBIT,
                received_at=received_at,
                reference=f"ACH-{item.note}",
            )
            item.status = ItemStatus.COLLECTED
            item.payment = payment
            item.is_open = False
            item.resolved_at = received_at
        CollectionItem.objects.bulk_update(pending, ["status", "payment", "is_open", "resolved_at"])
        locked.status = BatchStatus.SETTLED
        locked.settled_at = received_at
        locked.save(update_fields=["status", "settled_at"])
        reconciliation = _reconcile(locked)
        audit_record_append(
            action="batch.settled",
            actor="system",
            bank_code=locked.bank.code,
            batch_id=locked.pk,
            details={
                "collected": reconciliation.collected_count,
                "collected_amount": reconciliation.collected_amount,
                "returned": reconciliation.returned_count,
                "exceptions": len(reconciliation.exceptions),
            },
        )
        events.publish_on_commit(events.BATCH_CHANGED, batch_id=locked.pk)
        if reconciliation.exceptions:
            from banking.tasks import email_reconciliation

            transaction.on_commit(lambda: email_reconciliation.delay(reconciliation.pk))
    return reconciliation


def _reconcile(batch: CollectionBatch) -> Reconciliation:
    items = list(batch.items.all())
    returned = [item for item in items if item.status == ItemStatus.RETURNED]
    collected = [item for item in items if item.status == ItemStatus.COLLECTED]
    by_reason: dict[str, int] = {}
    for item in returned:
        by_reason[item.return_code] = by_reason.get(item.return_code, 0) + 1
    unmatched = list(
        ReturnRecord.objects.filter(
            item__isnull=True, transfer_file__bank=batch.bank, original_date=batch.collection_date
        ).values("note", "amount", "return_code", "problem")
    )
    exceptions = [
        {"kind": "returned", "note": item.note, "code": item.return_code, "action": item.next_action}
        for item in returned
        if item.next_action == NextAction.FIX_MANDATE
    ] + [{"kind": "unmatched", **record} for record in unmatched]
    return Reconciliation.objects.create(
        batch=batch,
        expected_count=len(items),
        expected_amount=sum(item.amount for item in items),
        collected_count=len(collected),
        collected_amount=sum(item.amount for item in collected),
        returned_count=len(returned),
        returned_amount=sum(item.amount for item in returned),
        returned_by_reason=dict(sorted(by_reason.items())),
        unmatched_count=len(unmatched),
        exceptions=exceptions,
    )


def reconciliation_mark_emailed(*, reconciliation: Reconciliation) -> None:
    Reconciliation.objects.filter(pk=reconciliation.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
    audit_record_append(
        action="reconciliation.emailed",
        actor="system",
        bank_code=reconciliation.batch.bank.code,
        batch_id=reconciliation.batch_id,
    )


def masked(account: str) -> str:
    return mask_account(account)
