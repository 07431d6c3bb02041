"""The ACHP02 exchange with the bank: mandate requests written, sealed and sent; the bank's replies imported."""

from __future__ import annotations

import datetime
import posixpath
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from banking import codec, crypto
from banking.audit import audit_record_append
from banking.models import Bank, Direction, Mandate, MandateAction, TransferFile
from banking.services.files import (
    bank_keys_audited,
    incoming_file_read,
    incoming_file_store,
    incoming_file_stored,
    outgoing_file_seal_and_store,
)
from banking.services.mandates import mandate_record_reply
from banking.transport import BankClient
from training.selectors import practice_customer_names

# ACHP02 files, ours and the bank's replies, are named with this prefix (replies share the returns folder).
MANDATE_FILE_PREFIX = "ACHP02"


def _mandate_detail(bank: Bank, mandate: Mandate, sequence: int, on: datetime.date) -> dict:
    changing = mandate.pending_action == MandateAction.CHANGE
    limit = mandate.requested_limit_amount if changing else mandate.limit_amount
    end_date = mandate.requested_end_date if changing else mandate.end_date
    return {
        "seq": sequence,
        "txid": bank.transaction_code,
        "cid": bank.originator_tax_id,
        "rbank": mandate.account.bank_branch,
        "rclno": mandate.account.account_number,
        "pid": mandate.account.holder_id,
        "cno": mandate.customer_number,
        "admark": mandate.pending_action,
        "date": codec.roc_date(on),
        "pbank": bank.sending_unit,
        "note": f"LGM{mandate.pk:012d}",
        "limit": limit,
        "enddate": codec.roc_date(end_date) if end_date else None,
    }


def _mandates_to_send(bank: Bank) -> list[Mandate]:
    return list(
        Mandate.objects.filter(bank=bank, request_file__isnull=True)
        .exclude(pending_action=MandateAction.NONE)
        .select_related("account")
        .order_by("pk")
    )


def mandate_file_build(
    *, bank: Bank, on: datetime.date, actor: AbstractBaseUser | str | None = None, mandates: list[Mandate] | None = None
) -> bytes:
    """The ACHP02 file of every request not yet sent: new (`A`), cancel (`D`) and change (`M`)."""
    mandates = _mandates_to_send(bank) if mandates is None else mandates
    practice = practice_customer_names(customer_ids={mandate.customer_id for mandate in mandates})
    if practice:
        raise ValidationError(
            {
                "mandates": _("Practice data (練習) never goes to a bank; the file would include: %(customers)s.")
                % {"customers": ", ".join(practice)}
            }
        )
    details = [_mandate_detail(bank, mandate, sequence, on) for sequence, mandate in enumerate(mandates, start=1)]
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


def mandate_file_name(*, bank: Bank, on: datetime.date, number: int) -> str:
    return f"{MANDATE_FILE_PREFIX}_{bank.sending_unit}_{codec.roc_date(on)}_{number:06d}.enc"


def mandate_file_prepare(
    *, bank: Bank, on: datetime.date | None = None, actor: AbstractBaseUser | str | None = None
) -> TransferFile | None:
    """Write, encrypt and sign the ACHP02 of every unsent request and tie the mandates to it; None if none waits."""
    on = on or timezone.localdate()
    with transaction.atomic():
        Bank.objects.select_for_update().get(pk=bank.pk)  # one mandate file at a time per bank
        mandates = _mandates_to_send(bank)
        if not mandates:
            return None
        plain = mandate_file_build(bank=bank, on=on, actor=actor, mandates=mandates)
        number = TransferFile.objects.filter(bank=bank, direction=Direction.OUTGOING, kind=codec.ACHP02).count() + 1
        name = mandate_file_name(bank=bank, on=on, number=number)
        keys = bank_keys_audited(bank, actor=actor, batch_id=None, purpose="encrypt and sign ACHP02")
        transfer = outgoing_file_seal_and_store(
            bank=bank,
            keys=keys,
            kind=codec.ACHP02,
            file_name=name,
            plain=plain,
            record_count=len(mandates),
        )
        Mandate.objects.filter(pk__in=[mandate.pk for mandate in mandates]).update(request_file=transfer)
    return transfer


def mandate_file_upload(
    *, transfer: TransferFile, client: BankClient | None = None, actor: AbstractBaseUser | str | None = None
) -> TransferFile:
    """Send an ACHP02 file by SFTP (temporary name, rename, verify); a delivered file is never sent again."""
    from banking.services.uploads import bank_client

    with transaction.atomic():
        locked = TransferFile.objects.select_for_update().select_related("bank").get(pk=transfer.pk)
        if locked.delivered_at is not None:
            return locked
        bank = locked.bank
        try:
            result = (client or bank_client(bank)).deliver(
                data=bytes(locked.sealed_content), folder=bank.upload_folder, name=locked.file_name
            )
        except Exception as error:
            audit_record_append(
                action="mandate_file.upload_failed",
                actor=actor,
                bank_code=bank.code,
                file_sha256=locked.sealed_sha256,
                details={"file": locked.file_name, "error": type(error).__name__, "message": str(error)[:500]},
            )
            failure = error
        else:
            failure = None
            locked.delivered_at = timezone.now()
            locked.save(update_fields=["delivered_at"])
            audit_record_append(
                action="mandate_file.uploaded",
                actor=actor,
                bank_code=bank.code,
                file_sha256=locked.sealed_sha256,
                details={"file": locked.file_name, "remote_path": result.remote_path, "found": result.already_present},
            )
    if failure is not None:
        raise failure
    return locked


def mandate_files_send(
    *,
    bank: Bank,
    on: datetime.date | None = None,
    actor: AbstractBaseUser | str | None = None,
    client: BankClient | None = None,
) -> list[TransferFile]:
    """Prepare the bank's ACHP02 of waiting requests, then upload every undelivered mandate file in order."""
    mandate_file_prepare(bank=bank, on=on, actor=actor)
    undelivered = TransferFile.objects.filter(
        bank=bank, direction=Direction.OUTGOING, kind=codec.ACHP02, delivered_at__isnull=True
    ).order_by("pk")
    return [mandate_file_upload(transfer=transfer, client=client, actor=actor) for transfer in undelivered]


@dataclass
class MandateReplyResult:
    transfer: TransferFile
    counts: dict[str, int]
    created: bool = True


def mandate_replies_import(
    *,
    bank: Bank,
    data: bytes,
    file_name: str = "",
    sealed: bool = False,
    actor: AbstractBaseUser | str | None = None,
) -> MandateReplyResult:
    """The bank's ACHP02 reply (sealed by the bank, or plain when uploaded by hand): each record's reply code
    applies to the mandate named in its note. Idempotent by file name; a file that fails to parse is refused whole.
    """
    file_name = file_name or f"{MANDATE_FILE_PREFIX}_reply_{crypto.sha256_hex(data)[:16]}"
    existing = incoming_file_stored(bank=bank, file_name=file_name)
    if existing is not None:
        return MandateReplyResult(existing, {}, created=False)
    plain, envelope, reply = incoming_file_read(
        bank=bank,
        file_name=file_name,
        data=data,
        sealed=sealed,
        actor=actor,
        kind=codec.ACHP02,
        purpose="ACHP02 reply",
        wrong_kind=_("This is not an ACHP02 file."),
    )
    counts = {"accepted": 0, "refused": 0, "unmatched": 0}
    with transaction.atomic():
        transfer = incoming_file_store(
            bank=bank,
            kind=codec.ACHP02,
            file_name=file_name,
            plain=plain,
            envelope=envelope,
            sealed=sealed,
            record_count=len(reply.details),
        )
        unmatched: list[dict[str, object]] = []
        for line_number, detail in enumerate(reply.details, start=2):
            note = detail["note"]
            mandate = None
            if note.startswith("LGM") and note[3:].isdigit() and detail["admark"] in MandateAction.values:
                # A reply answers the request that was sent with the same A/D/M mark, nothing else:
                # an old reply re-imported must not apply to a newer request still waiting to go out.
                mandate = (
                    Mandate.objects.filter(
                        pk=int(note[3:]),
                        bank=bank,
                        customer_number=detail["cno"],
                        pending_action=detail["admark"],
                        request_file__isnull=False,
                    )
                    .exclude(pending_action=MandateAction.NONE)
                    .first()
                )
            problem = ""
            if mandate is None:
                problem = "no sent request with this note, customer number and mark"
            elif detail["reply"] not in codec.MANDATE_REPLY_CODES:
                problem = "unknown reply code"
            else:
                try:
                    mandate_record_reply(
                        mandate=mandate,
                        reply_code=detail["reply"],
                        actor=actor,
                        reply_action=detail["admark"],
                        sent_only=True,
                    )
                except ValidationError:
                    # The request changed after the lookup (a concurrent reply or import).
                    problem = "the request changed before the reply applied"
            if problem:
                counts["unmatched"] += 1
                unmatched.append({"line": line_number, "note": note, "mark": detail["admark"], "problem": problem})
                continue
            counts["accepted" if detail["reply"] == "0" else "refused"] += 1
        audit_record_append(
            action="mandate_replies.imported",
            actor=actor,
            bank_code=bank.code,
            file_sha256=transfer.sha256,
            details={
                "file": file_name,
                "method": "sftp" if sealed else "manual",
                **counts,
                "unmatched_records": unmatched,
            },
        )
    return MandateReplyResult(transfer, counts)


def mandate_replies_fetch(
    *, bank: Bank, client: BankClient | None = None, actor: AbstractBaseUser | str | None = "system"
) -> list[MandateReplyResult]:
    """Download and import every new ACHP02 reply in the bank's returns folder; known names are skipped."""
    from banking.services.uploads import bank_client

    client = client or bank_client(bank)
    known = set(
        TransferFile.objects.filter(bank=bank, direction=Direction.INCOMING, kind=codec.ACHP02).values_list(
            "file_name", flat=True
        )
    )
    results = []
    for name in client.list_folder(bank.returns_folder):
        if not name.startswith(MANDATE_FILE_PREFIX) or name in known:
            continue
        data = client.download(posixpath.join(bank.returns_folder, name))
        try:
            results.append(mandate_replies_import(bank=bank, data=data, file_name=name, sealed=True, actor=actor))
        except ValidationError as error:
            audit_record_append(
                action="mandate_replies.refused",
                actor=actor,
                bank_code=bank.code,
                details={"file": name, "error": "; ".join(error.messages)[:500]},
            )
    return results
