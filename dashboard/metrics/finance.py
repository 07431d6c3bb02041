"""The finance metric (admins only): revenue by day, invoices, payments, direct debit."""

import datetime
from typing import Any

from django.db.models import Count, Q, Sum

from banking.selectors import banking_dashboard_summary
from dashboard.metrics.base import Period, local_today
from dashboard.models import DailyRollup
from luckygas.delivery.models import (
    Invoice,
    InvoiceStatus,
    Payment,
)


def compute_finance(period: Period) -> dict[str, Any]:
    """Revenue by day (rollups), open and overdue invoices, payments and direct-debit results."""
    today = local_today()
    rollups = {
        row["day"]: row
        for row in DailyRollup.objects.filter(day__range=(period.start, period.end)).values(
            "day", "orders_delivered", "revenue"
        )
    }
    revenue_by_day = []
    for offset in range(period.days):
        day = period.start + datetime.timedelta(days=offset)
        row = rollups.get(day, {})
        revenue_by_day.append(
            {"day": day.isoformat(), "revenue": row.get("revenue", 0), "delivered": row.get("orders_delivered", 0)}
        )
    invoices = Invoice.objects.filter(status=InvoiceStatus.OPEN).aggregate(
        open_count=Count("id"),
        open_amount=Sum("amount"),
        overdue_count=Count("id", filter=Q(due_date__lt=today)),
        overdue_amount=Sum("amount", filter=Q(due_date__lt=today)),
    )
    payments = {
        row["channel"]: {"amount": row["amount"] or 0, "count": row["count"]}
        for row in Payment.objects.filter(received_at__gte=period.start_moment, received_at__lt=period.end_moment)
        .values("channel")
        .annotate(amount=Sum("amount"), count=Count("id"))
        .order_by()
    }
    summary = banking_dashboard_summary(start=period.start_moment, end=period.end_moment)
    direct_debit: dict[str, Any] = {
        "configured": True,
        "collected_amount": summary["collected_amount"],
        "collected_count": summary["collected_count"],
        "returned_amount": summary["returned_amount"],
        "returned_count": summary["returned_count"],
        "returned_by_reason": summary["returned_by_reason"],
    }
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "revenue_by_day": revenue_by_day,
        "revenue_total": sum(item["revenue"] for item in revenue_by_day),
        "invoices_open_count": invoices["open_count"],
        "invoices_open_amount": invoices["open_amount"] or 0,
        "invoices_overdue_count": invoices["overdue_count"],
        "invoices_overdue_amount": invoices["overdue_amount"] or 0,
        "payments_by_channel": payments,
        "payments_total": sum(item["amount"] for item in payments.values()),
        "direct_debit": direct_debit,
    }
