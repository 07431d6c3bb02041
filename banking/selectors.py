"""Reads of the banking app: the dashboard contract, the accounting journal, the regulatory report."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from banking.models import (
    AuditRecord,
    Bank,
    CollectionBatch,
    CollectionItem,
    ItemStatus,
)
from banking.transport import CircuitBreaker


def banking_dashboard_summary(*, start: datetime.datetime, end: datetime.datetime) -> dict[str, Any]:
    """Collected and returned items resolved in [start, end), and each bank's upload and breaker state."""
    resolved = CollectionItem.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
    collected = resolved.filter(status=ItemStatus.COLLECTED).aggregate(count=Count("pk"), amount=Sum("amount"))
    returned = resolved.filter(status=ItemStatus.RETURNED).aggregate(count=Count("pk"), amount=Sum("amount"))
    by_reason = dict(
        resolved.filter(status=ItemStatus.RETURNED)
        .values("return_code")
        .annotate(count=Count("pk"))
        .order_by("return_code")
        .values_list("return_code", "count")
    )
    banks = []
    for bank in Bank.objects.filter(is_active=True).order_by("code"):
        last = (
            AuditRecord.objects.filter(bank_code=bank.code, action__in=["batch.uploaded", "upload.failed"])
            .order_by("-id")
            .values("at", "action")
            .first()
        )
        banks.append(
            {
                "code": bank.code,
                "name": bank.name,
                "last_upload_at": last["at"] if last else None,
                "last_upload_status": ("ok" if last["action"] == "batch.uploaded" else "failed") if last else None,
                "circuit_state": CircuitBreaker(bank.code).state(),
            }
        )
    return {
        "collected_amount": collected["amount"] or 0,
        "collected_count": collected["count"],
        "returned_amount": returned["amount"] or 0,
        "returned_count": returned["count"],
        "returned_by_reason": by_reason,
        "banks": banks,
    }


def journal_lines(*, start: datetime.date, end: datetime.date, batch_id: int | None = None) -> list[dict[str, Any]]:
    """Journal lines for items resolved (Taipei dates) from `start` to `end` inclusive.

    A collected item debits the bank and credits receivables; a returned item is a memo line
    (no money moved) so the accountant sees why the receivable stays open.
    """
    items = (
        CollectionItem.objects.filter(
            status__in=[ItemStatus.COLLECTED, ItemStatus.RETURNED],
            resolved_at__date__gte=start,
            resolved_at__date__lte=end,
        )
        .select_related("batch__bank", "invoice__customer", "mandate__account")
        .order_by("resolved_at", "batch_id", "sequence")
    )
    if batch_id is not None:
        items = items.filter(batch_id=batch_id)
    lines = []
    for item in items:
        collected = item.status == ItemStatus.COLLECTED
        lines.append(
            {
                "date": timezone.localtime(item.resolved_at).date().isoformat(),
                "batch": item.batch_id,
                "bank": item.batch.bank.code,
                "invoice": item.invoice.number,
                "customer": item.invoice.customer.code,
                "account": item.mandate.account.masked_account,
                "debit": f"1102 bank {item.batch.bank.code}" if collected else "",
                "credit": "1131 accounts receivable" if collected else "",
                "amount": item.amount if collected else 0,
                "memo": f"ACH {item.note}" if collected else f"ACH {item.note} returned {item.return_code}",
            }
        )
    return lines


def large_transaction_batches(*, start: datetime.date, end: datetime.date) -> QuerySet[CollectionBatch]:
    """Batches flagged as large transactions, for the regulatory report."""
    return (
        CollectionBatch.objects.filter(is_large=True, collection_date__gte=start, collection_date__lte=end)
        .select_related("bank", "prepared_by", "approved_by")
        .order_by("collection_date", "pk")
    )


def batch_debit_event_items(*, batch: CollectionBatch) -> list[dict[str, Any]]:
    """The batch's items as the `DIRECT_DEBIT_SCHEDULED` payload (`luckygas.delivery.events`), in one query."""
    return [
        {
            "item_id": row["note"],
            "customer_id": row["invoice__customer_id"],
            "amount": row["amount"],
            "collection_date": batch.collection_date,
            "invoice_ids": [row["invoice_id"]],
        }
        for row in batch.items.order_by("sequence").values("note", "invoice__customer_id", "amount", "invoice_id")
    ]
