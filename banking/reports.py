"""Reports of the banking app: reconciliation (PDF / Excel / email), accounting journal, large transactions."""

from __future__ import annotations

import csv
import datetime
import io
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from banking import codec
from banking.models import CollectionBatch, Direction, ItemStatus, Reconciliation, ReturnRecord
from banking.selectors import journal_lines, large_transaction_batches

logger = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def reconciliation_context(reconciliation: Reconciliation) -> dict[str, Any]:
    batch = reconciliation.batch
    outgoing = batch.files.filter(direction=Direction.OUTGOING).first()
    returned = list(
        batch.items.filter(status=ItemStatus.RETURNED)
        .select_related("invoice__customer", "mandate__account")
        .order_by("sequence")
    )
    unmatched = list(
        ReturnRecord.objects.filter(
            item__isnull=True, transfer_file__bank=batch.bank, original_date=batch.collection_date
        ).order_by("pk")
    )
    return {
        "reconciliation": reconciliation,
        "batch": batch,
        "bank": batch.bank,
        "roc_date": codec.roc_date(batch.collection_date),
        "file_sha256": outgoing.sha256 if outgoing else "",
        "by_reason": [
            (code, codec.RETURN_REASONS.get(code, ""), count)
            for code, count in sorted(reconciliation.returned_by_reason.items())
        ],
        "returned": returned,
        "unmatched": unmatched,
    }


def reconciliation_pdf(reconciliation: Reconciliation) -> bytes:
    from weasyprint import HTML

    html = render_to_string("banking/reconciliation_report.html", reconciliation_context(reconciliation))
    return HTML(string=html).write_pdf()


def _autosize(sheet: Any) -> None:
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))


def reconciliation_xlsx(reconciliation: Reconciliation) -> bytes:
    context = reconciliation_context(reconciliation)
    workbook = Workbook()
    summary = workbook.active
    summary.title = _("Summary")
    batch = context["batch"]
    rows = [
        (_("Bank"), f"{batch.bank.code} {batch.bank.name}"),
        (_("Batch"), batch.pk),
        (_("Collection date"), batch.collection_date),
        (_("File SHA-256"), context["file_sha256"]),
        (_("Expected items"), reconciliation.expected_count),
        (_("Expected (TWD)"), reconciliation.expected_amount),
        (_("Collected items"), reconciliation.collected_count),
        (_("Collected (TWD)"), reconciliation.collected_amount),
        (_("Returned items"), reconciliation.returned_count),
        (_("Returned (TWD)"), reconciliation.returned_amount),
        (_("Unmatched returns"), reconciliation.unmatched_count),
    ]
    for row in rows:
        summary.append(row)
    summary.append(())
    summary.append((_("Code"), _("Reason"), _("Items")))
    for row in context["by_reason"]:
        summary.append(row)
    _autosize(summary)
    items = workbook.create_sheet(_("Returned items"))
    items.append(
        (_("Sequence"), _("Invoice"), _("Customer"), _("Account"), _("Amount (TWD)"), _("Code"), _("Next action"))
    )
    for cell in items[1]:
        cell.font = Font(bold=True)
    for item in context["returned"]:
        items.append(
            (
                item.sequence,
                item.invoice.number,
                item.invoice.customer.short_name,
                item.mandate.account.masked_account,
                item.amount,
                item.return_code,
                str(item.get_next_action_display()),
            )
        )
    _autosize(items)
    unmatched = workbook.create_sheet(_("Unmatched returns"))
    unmatched.append((_("Note"), _("Amount (TWD)"), _("Code"), _("Problem")))
    for record in context["unmatched"]:
        unmatched.append((record.note, record.amount, record.return_code, record.problem))
    _autosize(unmatched)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _batch_finance_recipients(batch: CollectionBatch, situation: str) -> list[str]:
    """Finance's addresses for a batch (its bank's and BANKING_FINANCE_EMAILS); logged when there are none."""
    recipients = [address for address in [batch.bank.finance_email, *settings.BANKING_FINANCE_EMAILS] if address]
    if not recipients:
        logger.warning("%s but no finance address is configured", situation % batch.pk)
    return recipients


def _batch_subject(batch: CollectionBatch) -> dict[str, Any]:
    """The parameters naming a batch in an email subject: bank code, batch number, collection date."""
    return {"bank": batch.bank.code, "batch": batch.pk, "date": batch.collection_date.isoformat()}


def reconciliation_email(*, reconciliation: Reconciliation) -> bool:
    """Send the report to finance (bank's address and BANKING_FINANCE_EMAILS); False when nobody is configured."""
    batch = reconciliation.batch
    recipients = _batch_finance_recipients(batch, "reconciliation of batch %s has exceptions")
    if not recipients:
        return False
    subject = _("ACH reconciliation exceptions: bank %(bank)s batch #%(batch)s (%(date)s)") % _batch_subject(batch)
    lines = [
        _("Expected: %(count)s items, NT$%(amount)s")
        % {
            "count": reconciliation.expected_count,
            "amount": f"{reconciliation.expected_amount:,}",
        },
        _("Collected: %(count)s items, NT$%(amount)s")
        % {
            "count": reconciliation.collected_count,
            "amount": f"{reconciliation.collected_amount:,}",
        },
        _("Returned: %(count)s items, NT$%(amount)s")
        % {
            "count": reconciliation.returned_count,
            "amount": f"{reconciliation.returned_amount:,}",
        },
        _("Exceptions: %(count)s") % {"count": len(reconciliation.exceptions)},
    ]
    message = EmailMessage(subject=subject, body="\n".join(lines), to=recipients)
    name = f"reconciliation-{batch.bank.code}-{batch.pk}"
    message.attach(f"{name}.pdf", reconciliation_pdf(reconciliation), "application/pdf")
    message.attach(f"{name}.xlsx", reconciliation_xlsx(reconciliation), XLSX)
    message.send()
    return True


# --- Accounting journal ------------------------------------------------------------------
JOURNAL_COLUMNS = ["date", "batch", "bank", "invoice", "customer", "account", "debit", "credit", "amount", "memo"]


def journal_csv(*, start: datetime.date, end: datetime.date, batch_id: int | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=JOURNAL_COLUMNS)
    writer.writeheader()
    for line in journal_lines(start=start, end=end, batch_id=batch_id):
        writer.writerow(line)
    return buffer.getvalue()


def journal_xlsx(*, start: datetime.date, end: datetime.date, batch_id: int | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Journal")
    sheet.append(JOURNAL_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in journal_lines(start=start, end=end, batch_id=batch_id):
        sheet.append([line[column] for column in JOURNAL_COLUMNS])
    _autosize(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def large_transactions_csv(*, start: datetime.date, end: datetime.date) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["batch", "bank", "collection_date", "items", "total", "reasons", "prepared_by", "approved_by", "acknowledged"]
    )
    for batch in large_transaction_batches(start=start, end=end):
        writer.writerow(
            [
                batch.pk,
                batch.bank.code,
                batch.collection_date.isoformat(),
                batch.item_count,
                batch.total_amount,
                "; ".join(batch.large_reasons),
                batch.prepared_by.get_username(),
                batch.approved_by.get_username() if batch.approved_by else "",
                "yes" if batch.large_acknowledged else "no",
            ]
        )
    return buffer.getvalue()


def overdue_returns_email(*, batch: CollectionBatch) -> bool:
    """Tell finance a batch's return file never came; False when nobody is configured."""
    from banking.services import batch_returns_due_on

    recipients = _batch_finance_recipients(batch, "batch %s has no return file")
    if not recipients:
        return False
    subject = _("ACH return file missing: bank %(bank)s batch #%(batch)s (%(date)s)") % _batch_subject(batch)
    body = _(
        "The bank's return window for this batch closed on %(due)s and no return file has been imported. "
        "Fetch it from the bank, or upload it by hand in admin, before the batch can settle.\n"
        "Items: %(count)s, total NT$%(amount)s."
    ) % {"due": batch_returns_due_on(batch).isoformat(), "count": batch.item_count, "amount": f"{batch.total_amount:,}"}
    EmailMessage(subject=subject, body=body, to=recipients).send()
    return True


def calendar_missing_email(*, years: list[int]) -> bool:
    """Tell finance the business-day calendar lacks a coming year's holidays; False when nobody is configured."""
    recipients = list(settings.BANKING_FINANCE_EMAILS)
    if not recipients:
        logger.warning("the bank calendar lacks %s but no finance address is configured", years)
        return False
    listed = ", ".join(map(str, years))
    subject = _("Bank calendar: holidays for %(years)s not entered") % {"years": listed}
    body = _(
        "The business-day calendar has no holidays for %(years)s. Until they are entered, every weekday of "
        "that year counts as a bank business day: collection dates and return windows would fall on holidays.\n"
        "Enter the closures of the DGPA's published calendar (行政機關辦公日曆表) under "
        "Banking › Business day overrides in admin."
    ) % {"years": listed}
    EmailMessage(subject=subject, body=body, to=recipients).send()
    return True
