"""Metrics of the order book: key figures, the pipeline, drivers' routes and customers."""

import datetime
import zoneinfo
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum, Window
from django.db.models.functions import ExtractIsoWeekDay
from django.utils import timezone

from dashboard.metrics.base import Period, _jsonable
from dashboard.models import CustomerDailyRollup, DailyRollup, HourlyOrderCount
from luckygas.delivery.models import (
    FINAL_STOP_STATUSES,
    Customer,
    DeliverySlot,
    Order,
    OrderStatus,
    Payment,
    Route,
    StopStatus,
)
from offline_sync.selectors import driver_positions, sync_dashboard_summary

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
    positions = {item["driver_id"]: item for item in driver_positions()}
    syncs: dict[int, dict[str, Any]] = {}
    for device in sync_dashboard_summary()["devices"]:
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
        "positions_configured": True,
        "sync_configured": True,
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
