"""Collection batches: the maker prepares, a different checker approves, or the batch is cancelled."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from banking import calendar, events
from banking.audit import audit_record_append
from banking.models import (
    Bank,
    BatchStatus,
    CollectionBatch,
    CollectionItem,
    ItemStatus,
    Mandate,
    MandateStatus,
)
from luckygas.delivery.models import Invoice, InvoiceStatus, PaymentMethod
from training.selectors import practice_customer_names


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


def collection_date_check(*, bank: Bank, collection_date: datetime.date) -> None:
    """A collection date must be a business day, today or later: the file sent carries the date prepared
    (only an approval that comes after the bank's cut-off moves it, and says so). The refusal names the next
    valid day."""
    today = timezone.localdate()
    if collection_date >= today and calendar.is_business_day(collection_date):
        return
    valid = calendar.next_business_day(max(collection_date, today), include_today=True)
    raise ValidationError(
        {
            "collection_date": _(
                "%(date)s is not a business day of bank %(bank)s (a weekend, a holiday, or a past day); "
                "the next valid collection date is %(next)s."
            )
            % {"date": collection_date.isoformat(), "bank": bank.code, "next": valid.isoformat()}
        }
    )


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
    collection_date_check(bank=bank, collection_date=collection_date)
    with transaction.atomic():
        query = Invoice.objects.filter(_eligible_invoices(bank=bank, collection_date=collection_date))
        if invoice_ids is not None:
            query = query.filter(pk__in=invoice_ids)
        # Lock the invoices (by pk) so two preparers can't put the same invoice in two batches.
        invoices = list(Invoice.objects.select_for_update().filter(pk__in=query.values("pk")).order_by("pk"))
        practice = practice_customer_names(customer_ids={invoice.customer_id for invoice in invoices})
        if practice:
            raise ValidationError(
                {
                    "invoice_ids": _(
                        "Practice data (練習) never goes to a bank; the batch would include practice customers: "
                        "%(customers)s. Remove their invoices or mandates first."
                    )
                    % {"customers": ", ".join(practice)}
                }
            )
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
                result.skipped.append((invoice.number, gettext_noop("already in an open batch")))
                continue
            mandate = mandates.get(invoice.customer_id)
            if mandate is None:
                result.skipped.append((invoice.number, gettext_noop("no verified mandate")))
                continue
            balance = invoice.amount - sum(invoice.payments.values_list("amount", flat=True))
            if balance <= 0:
                result.skipped.append((invoice.number, gettext_noop("nothing left to pay")))
                continue
            if not mandate.covers(amount=balance, on=collection_date):
                result.skipped.append((invoice.number, gettext_noop("outside the mandate's limit or dates")))
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
        # The customers' payment-due notices go out when the file reaches the bank (`_mark_uploaded`),
        # not here: a batch cancelled after approval is never debited.
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
