"""The reports: panel reports from the cached metric snapshots, row reports (orders,
reconciliation) streamed from the database in chunks."""

import datetime
import zoneinfo
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboard.exports.tables import CHUNK, DATE, DATETIME, IDENTIFIER, INTEGER, MONEY, TEXT, Column, Report, Table
from dashboard.metrics import ADMIN, AUDIENCES, METRICS, Period, snapshot_get
from luckygas.delivery.models import Invoice, Order, OrderStatus, PaymentMethod


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _panel_data(panel: str, period: Period, audience: str) -> dict[str, dict[str, Any]]:
    return {
        metric.name: snapshot_get(metric, period, audience)["data"]
        for metric in METRICS.values()
        if metric.panel == panel and audience in metric.audiences
    }


def _executive(period: Period, audience: str) -> list[Table]:
    data = _panel_data("executive", period, audience)
    kpis = data["kpis"]
    rows = [
        [_("Orders created"), kpis["orders_today"], kpis["orders_yesterday"]],
        [_("Orders delivered"), kpis["delivered_today"], kpis["delivered_yesterday"]],
        [_("Orders failed"), kpis["failed_today"], kpis["failed_yesterday"]],
        [_("Revenue (TWD)"), kpis["revenue_today"], kpis["revenue_yesterday"]],
    ]
    tables = [
        Table(
            _("Day %(day)s vs the day before") % {"day": _date(kpis["day"]).strftime("%Y/%m/%d")},
            [Column(_("Figure"), TEXT, 24), Column(_("Day"), INTEGER), Column(_("Day before"), INTEGER)],
            rows,
        ),
        Table(
            _("Revenue this month vs last month"),
            [Column(_("Figure"), TEXT, 30), Column(_("Amount (TWD)"), MONEY, 16)],
            [
                [_("This month so far"), kpis["revenue_month"]],
                [_("Last month, same days"), kpis["revenue_last_month_same_period"]],
                [_("Last month, whole month"), kpis["revenue_last_month"]],
            ],
        ),
    ]
    sms = data["sms_today"]
    if sms.get("configured"):
        tables.append(
            Table(
                _("SMS"),
                [Column(_("Figure"), TEXT, 24), Column(_("Count"), INTEGER)],
                [[_(key.capitalize()), sms[key]] for key in ("sent", "delivered", "failed", "pending")],
            )
        )
    return tables


def _operations(period: Period, audience: str) -> list[Table]:
    data = _panel_data("operations", period, audience)
    pipeline, drivers = data["pipeline"], data["drivers"]
    return [
        Table(
            _("Order pipeline for %(day)s") % {"day": _date(pipeline["day"]).strftime("%Y/%m/%d")},
            [Column(_("Status"), TEXT, 20), Column(_("Orders"), INTEGER), Column(_("Amount (TWD)"), MONEY, 16)],
            [[item["label"], item["count"], item["amount"]] for item in pipeline["statuses"]],
        ),
        Table(
            _("Drivers"),
            [
                Column(_("Driver"), TEXT, 16),
                Column(_("Vehicle"), TEXT, 12),
                Column(_("Stops done"), INTEGER),
                Column(_("Stops"), INTEGER),
                Column(_("Late stops"), INTEGER),
                Column(_("Cash collected (TWD)"), MONEY, 18),
                Column(_("Last sync"), DATETIME, 20),
            ],
            [
                [
                    item["driver"],
                    item["vehicle"],
                    item["stops_done"],
                    item["stops_total"],
                    item["stops_late"],
                    item["cash_collected"],
                    datetime.datetime.fromisoformat(item["last_sync_at"]) if item["last_sync_at"] else None,
                ]
                for item in drivers["drivers"]
            ],
        ),
    ]


def _customers(period: Period, audience: str) -> list[Table]:
    data = _panel_data("customers", period, audience)["customers"]
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    return [
        Table(
            _("Customers"),
            [Column(_("Figure"), TEXT, 24), Column(_("Count"), INTEGER)],
            [[_("New customers"), data["new_customers"]], [_("Active customers"), data["active_customers"]]],
        ),
        Table(
            _("Top customers by orders"),
            [
                Column(_("Code"), TEXT, 10),
                Column(_("Customer"), TEXT, 24),
                Column(_("Orders"), INTEGER),
                Column(_("Amount (TWD)"), MONEY, 16),
            ],
            [[row["code"], row["name"], row["orders"], row["amount"]] for row in data["top_customers"]],
        ),
        Table(
            _("Orders by weekday and hour"),
            [Column(_("Weekday"), TEXT, 8)] + [Column(f"{hour:02d}", INTEGER, 5) for hour in range(24)],
            [[weekdays[index], *hours] for index, hours in enumerate(data["orders_by_weekday_hour"])],
        ),
    ]


def _finance(period: Period, audience: str) -> list[Table]:
    data = _panel_data("finance", period, audience)["finance"]
    tables = [
        Table(
            _("Revenue by day"),
            [Column(_("Day"), DATE, 12), Column(_("Delivered orders"), INTEGER, 16), Column(_("Revenue (TWD)"), MONEY)],
            [[_date(row["day"]), row["delivered"], row["revenue"]] for row in data["revenue_by_day"]],
        ),
        Table(
            _("Invoices"),
            [Column(_("Figure"), TEXT, 24), Column(_("Count"), INTEGER), Column(_("Amount (TWD)"), MONEY, 16)],
            [
                [_("Open"), data["invoices_open_count"], data["invoices_open_amount"]],
                [_("Overdue"), data["invoices_overdue_count"], data["invoices_overdue_amount"]],
            ],
        ),
    ]
    debit = data["direct_debit"]
    if debit.get("configured"):
        tables.append(
            Table(
                _("Direct debit"),
                [Column(_("Figure"), TEXT, 24), Column(_("Count"), INTEGER), Column(_("Amount (TWD)"), MONEY, 16)],
                [
                    [_("Collected"), debit["collected_count"], debit["collected_amount"]],
                    [_("Returned"), debit["returned_count"], debit["returned_amount"]],
                ],
            )
        )
    return tables


def _system(period: Period, audience: str) -> list[Table]:
    data = _panel_data("system", period, audience)["system"]
    tables = [
        Table(
            _("Celery queues"),
            [Column(_("Queue"), TEXT, 16), Column(_("Waiting tasks"), INTEGER, 16)],
            [[name, depth] for name, depth in data["queues"].items()],
        ),
        Table(
            _("Recent task failures"),
            [Column(_("Task"), TEXT, 40), Column(_("Error"), TEXT, 24), Column(_("At"), DATETIME, 20)],
            [
                [failure["task"], failure["exception"], datetime.datetime.fromisoformat(failure["at"])]
                for failure in data["recent_failures"]
            ],
        ),
    ]
    if data["sms"].get("configured"):
        tables.append(
            Table(
                _("SMS providers"),
                [Column(_("Provider"), TEXT, 16), Column(_("Circuit"), TEXT, 12), Column(_("Balance"), INTEGER)],
                [[item["name"], item["circuit_state"], item["balance"]] for item in data["sms"]["providers"]],
            )
        )
    if data["banks"].get("configured"):
        tables.append(
            Table(
                _("Bank uploads"),
                [Column(_("Bank"), TEXT, 16), Column(_("Last upload"), DATETIME, 20), Column(_("Status"), TEXT)],
                [
                    [
                        item["name"],
                        datetime.datetime.fromisoformat(item["last_upload_at"]) if item["last_upload_at"] else None,
                        item["last_upload_status"],
                    ]
                    for item in data["banks"]["banks"]
                ],
            )
        )
    return tables


def _labels(choices: Any) -> dict[str, str]:
    """A field's choice labels by value, translated once per export rather than once per row."""
    return {value: str(label) for value, label in choices}


def _customer_columns() -> list[Column]:
    """The customer's code and short name, as every listing shows them."""
    return [Column(_("Customer code"), TEXT, 12), Column(_("Customer"), TEXT, 22)]


def _orders_queryset(period: Period):
    # Trainees' practice orders are no business: exports (and the e-mailed reports) leave them out.
    return (
        Order.objects.filter(delivery_date__range=(period.start, period.end))
        .exclude(customer__practice_sets__isnull=False)
        .order_by("delivery_date", "pk")
    )


def _orders(period: Period, audience: str) -> list[Table]:
    statuses = _labels(OrderStatus.choices)
    methods = _labels(PaymentMethod.choices)
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    queryset = _orders_queryset(period).values_list(
        "pk",
        "delivery_date",
        "created_at",
        "customer__code",
        "customer__short_name",
        "status",
        "payment_method",
        "total_amount",
    )

    def rows() -> Iterator[list[Any]]:
        for pk, day, created_at, code, name, status, method, amount in queryset.iterator(chunk_size=CHUNK):
            yield [
                pk,
                day,
                created_at.astimezone(tz),
                code,
                name,
                statuses.get(status, status),
                methods.get(method, method),
                amount,
            ]

    return [
        Table(
            _("Orders"),
            [
                Column(_("Order number"), IDENTIFIER, 10),
                Column(_("Delivery date"), DATE, 12),
                Column(_("Created at"), DATETIME, 18),
                *_customer_columns(),
                Column(_("Status"), TEXT, 10),
                Column(_("Payment method"), TEXT, 12),
                Column(_("Total (TWD)"), MONEY, 12),
            ],
            rows(),
            row_count=_orders_queryset(period).count(),
        )
    ]


def _invoices_issued_in(period: Period):
    return Invoice.objects.filter(issue_date__range=(period.start, period.end)).exclude(
        customer__practice_sets__isnull=False
    )


def _reconciliation_queryset(period: Period):
    return _invoices_issued_in(period).annotate(paid=Coalesce(Sum("payments__amount"), 0)).order_by("issue_date", "pk")


def _reconciliation(period: Period, audience: str) -> list[Table]:
    statuses = _labels(Invoice._meta.get_field("status").choices)
    queryset = _reconciliation_queryset(period).values_list(
        "number", "customer__code", "customer__short_name", "issue_date", "due_date", "amount", "paid", "status"
    )

    def rows() -> Iterator[list[Any]]:
        for number, code, name, issued, due, amount, paid, status in queryset.iterator(chunk_size=CHUNK):
            yield [number, code, name, issued, due, amount, paid, amount - paid, statuses.get(status, status)]

    return [
        Table(
            _("Invoices and payments"),
            [
                Column(_("Invoice"), TEXT, 18),
                *_customer_columns(),
                Column(_("Issue date"), DATE, 12),
                Column(_("Due date"), DATE, 12),
                Column(_("Amount (TWD)"), MONEY, 14),
                Column(_("Paid (TWD)"), MONEY, 14),
                Column(_("Balance (TWD)"), MONEY, 14),
                Column(_("Status"), TEXT, 10),
            ],
            rows(),
            row_count=_invoices_issued_in(period).count(),
        )
    ]


REPORTS: dict[str, Report] = {
    report.name: report
    for report in [
        Report("executive", gettext_lazy("Executive summary"), AUDIENCES, _executive),
        Report("operations", gettext_lazy("Operations"), AUDIENCES, _operations),
        Report("customers", gettext_lazy("Customers"), AUDIENCES, _customers),
        Report("finance", gettext_lazy("Finance"), (ADMIN,), _finance),
        Report("system", gettext_lazy("System health"), (ADMIN,), _system),
        Report("orders", gettext_lazy("Orders"), AUDIENCES, _orders, lambda period: _orders_queryset(period).count()),
        Report(
            "reconciliation",
            gettext_lazy("Invoice reconciliation"),
            (ADMIN,),
            _reconciliation,
            lambda period: _invoices_issued_in(period).count(),
        ),
    ]
}
REPORT_CHOICES = [(report.name, report.title) for report in REPORTS.values()]


def report_filename(report: Report, period: Period, export_format: str) -> str:
    return f"luckygas-{report.name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{export_format}"


def report_has_rows(tables: list[Table]) -> bool:
    """True when some figure in the report is not zero (for 'skip if empty')."""
    for table in tables:
        for row in table.rows:
            for column, value in zip(table.columns, row, strict=True):
                if column.kind in (INTEGER, MONEY) and value:
                    return True
    return False


def report_row_count(report: Report, period: Period) -> int:
    return report.count_rows(period)
