"""The dashboard's metrics: what each one computes, who may see it, how long it is cached.

A metric is computed for a `Period` (two Asia/Taipei calendar days, inclusive) and an audience
(`manager` or `admin`). Results are plain JSON-able dicts, cached in the Django cache under a key
holding metric, period, time zone and audience, so a changed range never serves the old one.
Other apps' numbers come through the contract functions of CONTRACTS.md (guarded import): when
an app does not provide its function yet, its section says `configured: false`, never a number.
"""

import datetime
import importlib
import json
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum, Window
from django.db.models.functions import ExtractIsoWeekDay
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboard.models import CustomerDailyRollup, DailyRollup, ExportJob, ExportStatus, HourlyOrderCount
from luckygas.delivery.models import (
    FINAL_STOP_STATUSES,
    Customer,
    DeliverySlot,
    Invoice,
    InvoiceStatus,
    Order,
    OrderStatus,
    Payment,
    Route,
    StopStatus,
)

MANAGER = "manager"
ADMIN = "admin"
AUDIENCES = (MANAGER, ADMIN)
CACHE_VERSION = 1
OPEN_ORDER_STATUSES = [
    OrderStatus.PENDING,
    OrderStatus.CONFIRMED,
    OrderStatus.SCHEDULED,
    OrderStatus.OUT_FOR_DELIVERY,
]
# A pending stop becomes late once the end of its delivery slot has passed.
SLOT_ENDS = {
    DeliverySlot.MORNING: datetime.time(12),
    DeliverySlot.AFTERNOON: datetime.time(17),
    DeliverySlot.EVENING: datetime.time(21),
    DeliverySlot.ALL_DAY: datetime.time(21),
}
CELERY_QUEUES = ("default", "sms", "banking", "exports")


def local_today() -> datetime.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))


@dataclass(frozen=True)
class Period:
    """Inclusive Asia/Taipei calendar days."""

    start: datetime.date
    end: datetime.date

    @property
    def start_moment(self) -> datetime.datetime:
        return datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))

    @property
    def end_moment(self) -> datetime.datetime:
        """The first moment after the period."""
        next_day = self.end + datetime.timedelta(days=1)
        return datetime.datetime.combine(next_day, datetime.time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Metric:
    name: str
    panel: str
    title: Any
    compute: Callable[[Period], dict[str, Any]]
    audiences: tuple[str, ...]
    ttl_seconds: int
    default_period: Callable[[datetime.date], Period]
    # Recomputed by the ticker at this pace even without events (time-dependent numbers, other apps' state).
    refresh_seconds: int | None = None


def _day_period(today: datetime.date) -> Period:
    return Period(today, today)


def _last_30_days(today: datetime.date) -> Period:
    return Period(today - datetime.timedelta(days=29), today)


def _month_to_date(today: datetime.date) -> Period:
    return Period(today.replace(day=1), today)


def _contract(module_name: str, function_name: str) -> Callable[..., Any] | None:
    """Another app's dashboard function, or None while that app does not provide it."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    function = getattr(module, function_name, None)
    return function if callable(function) else None


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _jsonable(value: Any) -> Any:
    """Contract results hold aware datetimes; the wire and the cache hold ISO strings."""
    return json.loads(
        json.dumps(value, default=lambda item: item.isoformat() if hasattr(item, "isoformat") else str(item))
    )


def _rollup_totals(start: datetime.date, end: datetime.date) -> dict[str, int]:
    totals = DailyRollup.objects.filter(day__range=(start, end)).aggregate(
        orders_created=Sum("orders_created"),
        orders_delivered=Sum("orders_delivered"),
        orders_failed=Sum("orders_failed"),
        revenue=Sum("revenue"),
    )
    return {key: value or 0 for key, value in totals.items()}


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _previous_month_same_period(day: datetime.date) -> tuple[datetime.date, datetime.date, datetime.date]:
    """First day of last month, the same day-of-month last month (clamped), and last month's last day."""
    last_month_end = _month_start(day) - datetime.timedelta(days=1)
    last_month_start = _month_start(last_month_end)
    same_day = last_month_start.replace(day=min(day.day, last_month_end.day))
    return last_month_start, same_day, last_month_end


def compute_kpis(period: Period) -> dict[str, Any]:
    """Today vs yesterday and this month vs last month, from the daily rollups only."""
    day = period.end
    yesterday = day - datetime.timedelta(days=1)
    last_month_start, last_month_same_day, last_month_end = _previous_month_same_period(day)
    rows = {
        row.day: row
        for row in DailyRollup.objects.filter(day__range=(last_month_start, day)).only(
            "day", "orders_created", "orders_delivered", "orders_failed", "revenue"
        )
    }

    def total(field: str, start: datetime.date, end: datetime.date) -> int:
        return sum(getattr(row, field) for row_day, row in rows.items() if start <= row_day <= end)

    payments_today = Payment.objects.filter(
        received_at__gte=Period(day, day).start_moment, received_at__lt=Period(day, day).end_moment
    ).aggregate(amount=Sum("amount"), count=Count("id"))
    return {
        "day": day.isoformat(),
        "orders_today": total("orders_created", day, day),
        "orders_yesterday": total("orders_created", yesterday, yesterday),
        "delivered_today": total("orders_delivered", day, day),
        "delivered_yesterday": total("orders_delivered", yesterday, yesterday),
        "failed_today": total("orders_failed", day, day),
        "failed_yesterday": total("orders_failed", yesterday, yesterday),
        "revenue_today": total("revenue", day, day),
        "revenue_yesterday": total("revenue", yesterday, yesterday),
        "revenue_month": total("revenue", _month_start(day), day),
        "revenue_last_month_same_period": total("revenue", last_month_start, last_month_same_day),
        "revenue_last_month": total("revenue", last_month_start, last_month_end),
        "payments_today_amount": payments_today["amount"] or 0,
        "payments_today_count": payments_today["count"],
    }


def compute_pipeline(period: Period) -> dict[str, Any]:
    """Orders due on the day by status, plus the backlog of open orders from earlier days."""
    day = period.end
    by_status = {
        row["status"]: {"count": row["count"], "amount": row["amount"] or 0}
        for row in Order.objects.filter(delivery_date=day)
        .values("status")
        .annotate(count=Count("id"), amount=Sum("total_amount"))
        .order_by()
    }
    backlog = Order.objects.filter(status__in=OPEN_ORDER_STATUSES, delivery_date__lt=day).count()
    return {
        "day": day.isoformat(),
        "statuses": [
            {
                "status": status.value,
                "label": str(status.label),
                "count": by_status.get(status.value, {}).get("count", 0),
                "amount": by_status.get(status.value, {}).get("amount", 0),
            }
            for status in OrderStatus
        ],
        "total": sum(item["count"] for item in by_status.values()),
        "open": sum(by_status.get(status, {}).get("count", 0) for status in OPEN_ORDER_STATUSES),
        "overdue_backlog": backlog,
    }


def compute_drivers(period: Period) -> dict[str, Any]:
    """Each driver's route of the day: stops done / total, late stops, last position and last sync."""
    day = period.end
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    now = timezone.localtime(timezone.now(), tz)
    late_slots = [slot for slot, ends in SLOT_ENDS.items() if datetime.datetime.combine(day, ends, tzinfo=tz) <= now]
    routes = (
        Route.objects.filter(date=day)
        .select_related("driver", "vehicle")
        .annotate(
            stops_total=Count("stops"),
            stops_done=Count("stops", filter=Q(stops__status__in=list(FINAL_STOP_STATUSES))),
            stops_delivered=Count("stops", filter=Q(stops__status=StopStatus.DELIVERED)),
            stops_late=Count("stops", filter=Q(stops__status=StopStatus.PENDING, stops__order__slot__in=late_slots)),
            cash_collected=Sum("stops__cash_collected"),
        )
        .order_by("driver__name")
    )
    positions_function = _contract("offline_sync.selectors", "driver_positions")
    sync_function = _contract("offline_sync.selectors", "sync_dashboard_summary")
    positions = {item["driver_id"]: item for item in positions_function()} if positions_function else {}
    syncs: dict[int, dict[str, Any]] = {}
    if sync_function:
        for device in sync_function()["devices"]:
            known = syncs.get(device["driver_id"])
            if known is None or (device["last_sync_at"] and device["last_sync_at"] > (known["last_sync_at"] or now)):
                syncs[device["driver_id"]] = device
    drivers = []
    for route in routes:
        position = positions.get(route.driver_id)
        sync = syncs.get(route.driver_id)
        drivers.append(
            {
                "driver_id": route.driver_id,
                "driver": route.driver.name,
                "vehicle": route.vehicle.plate_number if route.vehicle else "",
                "route_status": route.status,
                "stops_total": route.stops_total,
                "stops_done": route.stops_done,
                "stops_delivered": route.stops_delivered,
                "stops_late": route.stops_late,
                "cash_collected": route.cash_collected or 0,
                "position": _jsonable(position) if position else None,
                "last_sync_at": _jsonable(sync["last_sync_at"]) if sync else None,
                "queue_lag_seconds": sync["queue_lag_seconds"] if sync else None,
            }
        )
    return {
        "day": day.isoformat(),
        "drivers": drivers,
        "stops_total": sum(item["stops_total"] for item in drivers),
        "stops_done": sum(item["stops_done"] for item in drivers),
        "stops_late": sum(item["stops_late"] for item in drivers),
        "positions_configured": positions_function is not None,
        "sync_configured": sync_function is not None,
    }


def compute_customers(period: Period) -> dict[str, Any]:
    """New and active customers, the top customers by volume, and when orders come in."""
    new_customers = Customer.objects.filter(
        created_at__gte=period.start_moment, created_at__lt=period.end_moment
    ).count()
    # One pass over the per-customer day rollups (compact, in day order; a covering index): group
    # by customer once, and count the groups (the active customers) with a window over them.
    top = list(
        CustomerDailyRollup.objects.filter(day__range=(period.start, period.end))
        .values("customer_id")
        .annotate(orders=Sum("orders_created"), amount=Sum("amount"), active=Window(Count("customer_id")))
        .order_by("-orders", "-amount", "customer_id")[:10]
    )
    active_customers = top[0]["active"] if top else 0
    customers = {
        pk: (code, name)
        for pk, code, name in Customer.objects.filter(pk__in=[row["customer_id"] for row in top]).values_list(
            "pk", "code", "short_name"
        )
    }
    names = {pk: name for pk, (_code, name) in customers.items()}
    codes = {pk: code for pk, (code, _name) in customers.items()}
    pattern = [[0] * 24 for _weekday in range(7)]
    for row in (
        HourlyOrderCount.objects.filter(day__range=(period.start, period.end))
        .annotate(weekday=ExtractIsoWeekDay("day"))
        .values("weekday", "hour")
        .annotate(orders=Sum("orders_created"))
        .order_by()
    ):
        pattern[row["weekday"] - 1][row["hour"]] = row["orders"]
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "new_customers": new_customers,
        "active_customers": active_customers,
        "top_customers": [
            {
                "customer_id": row["customer_id"],
                "code": codes.get(row["customer_id"], ""),
                "name": names.get(row["customer_id"], ""),
                "orders": row["orders"],
                "amount": row["amount"] or 0,
            }
            for row in top
        ],
        "orders_by_weekday_hour": pattern,
    }


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
    banking_function = _contract("banking.selectors", "banking_dashboard_summary")
    direct_debit: dict[str, Any] = {"configured": False}
    if banking_function:
        summary = banking_function(start=period.start_moment, end=period.end_moment)
        direct_debit = {
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


def _queue_depths() -> dict[str, int | None]:
    if not settings.REDIS_URL:
        return dict.fromkeys(CELERY_QUEUES)
    from dashboard.live import redis_client

    client = redis_client()
    pipe = client.pipeline()
    for queue in CELERY_QUEUES:
        pipe.llen(queue)
    return dict(zip(CELERY_QUEUES, pipe.execute(), strict=True))


def compute_system(period: Period) -> dict[str, Any]:
    """Celery queues and failures, SMS providers, bank uploads and offline-sync lag."""
    from dashboard.live import recent_task_failures

    since = timezone.now() - datetime.timedelta(hours=24)
    sms_function = _contract("sms.selectors", "sms_dashboard_summary")
    banking_function = _contract("banking.selectors", "banking_dashboard_summary")
    sync_function = _contract("offline_sync.selectors", "sync_dashboard_summary")
    sms: dict[str, Any] = {"configured": False}
    if sms_function:
        sms = {"configured": True, **_jsonable(sms_function(start=period.start_moment, end=period.end_moment))}
    banks: dict[str, Any] = {"configured": False}
    if banking_function:
        summary = banking_function(start=period.start_moment, end=period.end_moment)
        banks = {"configured": True, "banks": _jsonable(summary["banks"])}
    offline: dict[str, Any] = {"configured": False}
    if sync_function:
        summary = sync_function()
        offline = {
            "configured": True,
            "max_lag_seconds": summary["max_lag_seconds"],
            "open_conflicts": summary["open_conflicts"],
            "devices": len(summary["devices"]),
        }
    failures = recent_task_failures()
    return {
        "queues": _queue_depths(),
        "failed_tasks_24h": sum(1 for failure in failures if failure["at"] >= since.isoformat()),
        "recent_failures": failures[:10],
        "failed_exports_24h": ExportJob.objects.filter(status=ExportStatus.FAILED, created_at__gte=since).count(),
        "sms": sms,
        "banks": banks,
        "offline_sync": offline,
    }


def compute_sms_today(period: Period) -> dict[str, Any]:
    """SMS sent and delivered on the day (managers see counts; costs and providers are in system health)."""
    sms_function = _contract("sms.selectors", "sms_dashboard_summary")
    if sms_function is None:
        return {"configured": False}
    day = Period(period.end, period.end)
    summary = sms_function(start=day.start_moment, end=day.end_moment)
    return {
        "configured": True,
        **{key: summary[key] for key in ("sent", "delivered", "failed", "pending")},
    }


METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in [
        Metric("kpis", "executive", _("Key figures"), compute_kpis, AUDIENCES, 60, _day_period),
        Metric("sms_today", "executive", _("SMS today"), compute_sms_today, AUDIENCES, 30, _day_period, 30),
        Metric("pipeline", "operations", _("Order pipeline"), compute_pipeline, AUDIENCES, 5, _day_period),
        Metric("drivers", "operations", _("Drivers"), compute_drivers, AUDIENCES, 10, _day_period, 10),
        Metric("customers", "customers", _("Customers"), compute_customers, AUDIENCES, 300, _last_30_days),
        Metric("finance", "finance", _("Finance"), compute_finance, (ADMIN,), 3600, _month_to_date),
        Metric("system", "system", _("System health"), compute_system, (ADMIN,), 10, _day_period, 10),
    ]
}
PANELS = {
    "executive": _("Executive summary"),
    "operations": _("Operations"),
    "customers": _("Customers"),
    "finance": _("Finance"),
    "system": _("System health"),
}
# Which metrics each delivery event can change.
EVENT_METRICS = {
    "order.created": ("kpis", "pipeline", "customers"),
    "order.updated": ("pipeline", "customers"),
    "order.status_changed": ("kpis", "pipeline", "drivers", "finance"),
    "route.changed": ("drivers", "pipeline"),
    "stop.changed": ("drivers",),
    "invoice.paid": ("finance", "kpis"),
    "payment.recorded": ("finance", "kpis"),
}


def metrics_for(audience: str) -> list[Metric]:
    return [metric for metric in METRICS.values() if audience in metric.audiences]


def cache_key(metric: Metric, period: Period, audience: str) -> str:
    return (
        f"dashboard:v{CACHE_VERSION}:{metric.name}:{audience}:{period.start.isoformat()}:{period.end.isoformat()}"
        f":{settings.TIME_ZONE}"
    )


def default_period(metric: Metric, today: datetime.date | None = None) -> Period:
    return metric.default_period(today or local_today())


def snapshot_compute(metric: Metric, period: Period, audience: str) -> dict[str, Any]:
    """Compute a metric now and cache it for its TTL."""
    if audience not in metric.audiences:
        raise PermissionError(metric.name)
    entry = {
        "metric": metric.name,
        "panel": metric.panel,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "as_of": timezone.now().isoformat(),
        "data": metric.compute(period),
    }
    cache.set(cache_key(metric, period, audience), entry, timeout=metric.ttl_seconds)
    return entry


def snapshot_get(metric: Metric, period: Period, audience: str) -> dict[str, Any]:
    """The cached snapshot of a metric for a period and audience, computed on a miss."""
    if audience not in metric.audiences:
        raise PermissionError(metric.name)
    entry = cache.get(cache_key(metric, period, audience))
    if entry is None:
        entry = snapshot_compute(metric, period, audience)
    return entry
