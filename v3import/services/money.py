"""v3's invoices and the payments against them, in whole TWD."""

import datetime
from typing import Any

from django.db import connection

from luckygas.delivery.models import Invoice, InvoiceStatus, PaymentChannel
from luckygas.delivery.models import Payment as OurPayment
from v3import.services import mapping
from v3import.services.context import Context
from v3import.services.upsert import upsert

CHANNELS = {"cash": PaymentChannel.CASH, "transfer": PaymentChannel.BANK_TRANSFER}


def _taipei_midnight(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return datetime.datetime.combine(day, datetime.time(), tzinfo=mapping.TAIPEI)


def invoices(rows: list[dict[str, Any]], context: Context) -> None:
    issues = context.issues
    numbers = {mapping.clean_text(row["invoice_number"]): row["id"] for row in rows}
    taken = set(
        Invoice.objects.filter(number__in=list(numbers))
        .exclude(legacy_id__in=list(numbers.values()))
        .values_list("number", flat=True)
    )
    batch, orders = [], {}
    for row in rows:
        legacy_id = row["id"]
        customer_id = context.customer_or_report("invoices", row)
        number = mapping.clean_text(row["invoice_number"])
        if customer_id is None:
            continue
        if number in taken or len(number) > 20:
            issues.add("invoices", legacy_id, "invoice_number", number, "number already used here", imported=False)
            continue
        due_date = row["due_date"]
        if due_date is None:
            issues.add("invoices", legacy_id, "due_date", None, "no due date; the invoice date is shown")
            due_date = row["invoice_date"]
        status = mapping.clean_text(row["status"]).lower()
        paid = mapping.clean_text(row["payment_status"]).lower() == "paid"
        our_status = (
            InvoiceStatus.VOID
            if status in ("void", "cancelled")
            else InvoiceStatus.PAID
            if paid
            else InvoiceStatus.OPEN
        )
        batch.append(
            (
                legacy_id,
                number,
                customer_id,
                row["invoice_date"],
                due_date,
                mapping.whole_twd(
                    row["total_amount"], table="invoices", legacy_id=legacy_id, field_name="total_amount", issues=issues
                ),
                our_status,
                _taipei_midnight(row["paid_date"]) if our_status == InvoiceStatus.PAID else None,
                mapping.jsonable(
                    row,
                    [
                        "invoice_track",
                        "invoice_no",
                        "random_code",
                        "order_id",
                        "invoice_type",
                        "period",
                        "buyer_tax_id",
                        "buyer_name",
                        "buyer_address",
                        "sales_amount",
                        "tax_type",
                        "tax_rate",
                        "tax_amount",
                        "total_amount",
                        "status",
                        "payment_status",
                        "payment_method",
                        "einvoice_id",
                        "void_reason",
                        "void_date",
                        "allowance_number",
                        "paid_amount",
                        "paid_date",
                        "notes",
                    ],
                ),
            )
        )
        if row["order_id"] is not None:
            orders[row["order_id"]] = legacy_id
    written = upsert(
        Invoice,
        ["legacy_id", "number", "customer", "issue_date", "due_date", "amount", "status", "paid_at", "legacy"],
        batch,
    )
    # The order an invoice was for points at it, as ours do.
    pairs = [(order_legacy_id, written[invoice]) for order_legacy_id, invoice in orders.items() if invoice in written]
    if pairs:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE delivery_order AS o SET invoice_id = pair.invoice_id"
                " FROM unnest(%s::bigint[], %s::bigint[]) AS pair(order_legacy_id, invoice_id)"
                " WHERE o.legacy_id = pair.order_legacy_id",
                [[order for order, _ in pairs], [invoice for _, invoice in pairs]],
            )
    context.count("invoices", len(written))


def payments(rows: list[dict[str, Any]], context: Context) -> None:
    issues = context.issues
    invoice_ids = dict(
        Invoice.objects.filter(legacy_id__in={row["invoice_id"] for row in rows}).values_list("legacy_id", "pk")
    )
    batch = []
    for row in rows:
        legacy_id = row["id"]
        invoice_id = invoice_ids.get(row["invoice_id"])
        if invoice_id is None:
            issues.add("payments", legacy_id, "invoice_id", row["invoice_id"], "invoice not imported", imported=False)
            continue
        method = mapping.clean_text(row["payment_method"]).lower()
        channel = CHANNELS.get(method)
        if channel is None:
            issues.add(
                "payments", legacy_id, "payment_method", row["payment_method"], "no such channel here; kept as it was"
            )
            channel = method[:16]
        batch.append(
            (
                legacy_id,
                invoice_id,
                mapping.whole_twd(
                    row["amount"], table="payments", legacy_id=legacy_id, field_name="amount", issues=issues
                ),
                channel,
                _taipei_midnight(row["payment_date"]),
                f"v3:{mapping.clean_text(row['payment_number'])}"[:64],
            )
        )
    written = upsert(OurPayment, ["legacy_id", "invoice", "amount", "channel", "received_at", "reference"], batch)
    context.count("payments", len(written))
