"""Return files (ACHR01): matching returns to items, settling batches once the window closes, reconciling."""

from __future__ import annotations

import datetime
import logging
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from banking import calendar, codec, events
from banking.audit import audit_record_append
from banking.models import (
    Bank,
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
)
from banking.services.files import incoming_file_read, incoming_file_store, incoming_file_stored
from luckygas.delivery.events import DirectDebitReturned
from luckygas.delivery.models import PaymentChannel
from luckygas.delivery.services import invoice_record_payment
from luckygas.masking import mask_account

if TYPE_CHECKING:
    from banking.transport import BankClient

logger = logging.getLogger(__name__)


@dataclass
class ImportResult:
    transfer: TransferFile
    matched: int
    unmatched: int
    batches: list[int]
    created: bool = True


def returns_fetch(*, bank: Bank, client: BankClient | None = None) -> list[str]:
    """Download and import every new return file in the bank's returns folder; names already imported
    (and mandate replies, which share the folder) are skipped. A refused file is logged and audited,
    and the others still import. Transport errors are raised for the caller to retry."""
    from banking.services.mandate_files import MANDATE_FILE_PREFIX
    from banking.services.uploads import bank_client

    client = client or bank_client(bank)
    known = set(
        TransferFile.objects.filter(bank=bank, direction=Direction.INCOMING).values_list("file_name", flat=True)
    )
    imported = []
    for name in client.list_folder(bank.returns_folder):
        if name in known or name.startswith((".", MANDATE_FILE_PREFIX)):
            continue
        data = client.download(posixpath.join(bank.returns_folder, name))
        try:
            returns_import(bank=bank, file_name=name, data=data, sealed=True, actor="system")
        except ValidationError as error:
            logger.error("bank %s: return file %s refused: %s", bank.code, name, "; ".join(error.messages))
            audit_record_append(
                action="returns.refused",
                actor="system",
                bank_code=bank.code,
                details={"file": name, "error": "; ".join(error.messages)},
            )
            continue
        imported.append(name)
    return imported


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
    existing = incoming_file_stored(bank=bank, file_name=file_name)
    if existing is not None:
        return ImportResult(existing, 0, 0, [], created=False)
    plain, envelope, ach_file = incoming_file_read(
        bank=bank,
        file_name=file_name,
        data=data,
        sealed=sealed,
        actor=actor,
        kind=codec.ACHR01,
        purpose="ACHR01",
        wrong_kind=_("This is not an ACHR01 return file."),
    )
    today = today or timezone.localdate()
    with transaction.atomic():
        transfer = incoming_file_store(
            bank=bank,
            kind=codec.ACHR01,
            file_name=file_name,
            plain=plain,
            envelope=envelope,
            sealed=sealed,
            record_count=len(ach_file.details),
            total_amount=ach_file.total_amount,
        )
        notes = [detail["note"] for detail in ach_file.details]
        items = {
            item.note: item
            for item in CollectionItem.objects.select_for_update()
            .filter(note__in=notes, batch__bank=bank)
            .select_related("mandate", "batch")
            .order_by("pk")
        }
        batch_ids: set[int] = set()
        matched = unmatched = 0
        records = []
        returned: list[CollectionItem] = []
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
            returned.append(item)
        CollectionItem.objects.bulk_update(
            returned, ["status", "return_code", "next_action", "is_open", "resolved_at"], batch_size=5000
        )
        suspended_by_code: dict[str, list[int]] = {}
        for item in returned:
            if item.next_action == NextAction.FIX_MANDATE:
                suspended_by_code.setdefault(item.return_code, []).append(item.mandate_id)
        for code, mandate_ids in sorted(suspended_by_code.items()):
            Mandate.objects.filter(pk__in=mandate_ids, status=MandateStatus.VERIFIED).update(
                status=MandateStatus.SUSPENDED, note=f"return {code}: {codec.RETURN_REASONS.get(code, '')}"[:200]
            )
        if returned:
            # The customers' returned-debit notices commit (or not) with the import: once per file.
            events.publish_in_transaction(
                DirectDebitReturned(
                    items=[
                        {
                            "item_id": item.note,
                            "customer_id": item.mandate.customer_id,
                            "amount": item.amount,
                            "collection_date": item.batch.collection_date,
                            "invoice_ids": [item.invoice_id],
                            "return_code": item.return_code,
                            "will_retry": item.next_action == NextAction.RETRY,
                        }
                        for item in returned
                    ],
                )
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


def batch_returns_due_on(batch: CollectionBatch) -> datetime.date:
    """The last business day the bank's return file for this batch may arrive (its return window)."""
    return calendar.add_business_days(batch.collection_date, batch.bank.return_window_business_days)


def batches_flag_overdue_returns(*, today: datetime.date | None = None) -> list[int]:
    """Flag every uploaded batch whose return window has passed with no return file imported.

    Each batch is flagged once (a conditional UPDATE), with an audit record, a warning in the log
    and an email to finance after commit; the flag shows in admin.
    """
    from banking.tasks import email_overdue_returns

    today = today or timezone.localdate()
    flagged = []
    candidates = CollectionBatch.objects.filter(
        status=BatchStatus.UPLOADED, returns_overdue_at__isnull=True
    ).select_related("bank")
    for batch in candidates.order_by("pk"):
        due_on = batch_returns_due_on(batch)
        if today <= due_on:
            continue
        with transaction.atomic():
            claimed = CollectionBatch.objects.filter(
                pk=batch.pk, status=BatchStatus.UPLOADED, returns_overdue_at__isnull=True
            ).update(returns_overdue_at=timezone.now())
            if not claimed:
                continue
            audit_record_append(
                action="returns.overdue",
                actor="system",
                bank_code=batch.bank.code,
                batch_id=batch.pk,
                details={"collection_date": batch.collection_date, "due_on": due_on},
            )
            logger.warning(
                "bank %s: no return file for batch %s (collected %s); the return window closed on %s",
                batch.bank.code,
                batch.pk,
                batch.collection_date.isoformat(),
                due_on.isoformat(),
            )
            batch_id = batch.pk
            transaction.on_commit(lambda batch_id=batch_id: email_overdue_returns.delay(batch_id))
            events.publish_on_commit(events.BATCH_CHANGED, batch_id=batch.pk)
        flagged.append(batch.pk)
    return flagged
