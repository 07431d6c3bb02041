"""Reads of the offline sync: a driver's route for the phone, the change feed, dispatcher summaries."""

import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from luckygas.delivery.models import Driver, OrderLine, PaymentMethod, Route, RouteStop
from offline_sync import constants
from offline_sync.models import (
    ActionResult,
    ChangeLogEntry,
    ConflictStatus,
    DriverDevice,
    LocationPoint,
    SyncConflict,
)


def driver_route_for_day(*, driver: Driver, date: datetime.date) -> Route | None:
    """The driver's route on a date with what the phone shows, in three queries."""
    stops = RouteStop.objects.select_related("order__customer").order_by("sequence")
    lines = OrderLine.objects.select_related("product").order_by("pk")
    return (
        Route.objects.filter(driver=driver, date=date)
        .select_related("vehicle")
        .prefetch_related(Prefetch("stops", queryset=stops), Prefetch("stops__order__lines", queryset=lines))
        .first()
    )


def clock_or_none(value: datetime.time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def stop_for_phone(stop: RouteStop) -> dict[str, Any]:
    """Only what a driver needs at the door: no national ID, bank data or payment history."""
    order = stop.order
    customer = order.customer
    notes = [text for text in (order.notes, customer.delivery_notes) if text]
    return {
        "id": stop.pk,
        "sequence": stop.sequence,
        "status": stop.status,
        "version": stop.version,
        "customer_name": customer.short_name,
        "address": customer.full_address,
        "phone": customer.phone_display,
        "latitude": float(customer.latitude) if customer.latitude is not None else None,
        "longitude": float(customer.longitude) if customer.longitude is not None else None,
        "slot": order.slot,
        # The window the dispatcher's plan promised the customer (Asia/Taipei), when the route was planned.
        "planned_arrival_start": clock_or_none(stop.planned_arrival_start),
        "planned_arrival_end": clock_or_none(stop.planned_arrival_end),
        "items": [
            {"product": line.product.name, "size_kg": line.product.size_kg, "quantity": line.quantity}
            for line in order.lines.all()
        ],
        "amount_to_collect": order.total_amount if order.payment_method == PaymentMethod.CASH else 0,
        "driver_notes": "\n".join(notes),
        "cash_collected": stop.cash_collected,
        "empties_collected": stop.empties_collected,
        "completed_at": stop.completed_at,
    }


def client_policy() -> dict[str, int]:
    return {
        "batch_size": constants.BATCH_SIZE,
        "purge_after_days": settings.SYNC_PURGE_AFTER_DAYS,
        "storage_budget_mb": settings.SYNC_STORAGE_BUDGET_MB,
        "gps_interval_online_seconds": settings.SYNC_GPS_INTERVAL_ONLINE_SECONDS,
        "gps_interval_offline_seconds": settings.SYNC_GPS_INTERVAL_OFFLINE_SECONDS,
        "media_max_bytes": settings.SYNC_MEDIA_MAX_BYTES,
        "media_max_width": constants.MEDIA_MAX_LONG_SIDE,
        "media_max_height": constants.MEDIA_MAX_SHORT_SIDE,
    }


def change_feed_cursor(*, driver: Driver) -> int:
    return ChangeLogEntry.objects.filter(driver=driver).aggregate(last=Max("id"))["last"] or 0


def change_feed_for_driver(
    *, driver: Driver, cursor: int, limit: int = constants.MAX_CHANGES_PER_PAGE
) -> list[ChangeLogEntry]:
    """Entries after the cursor in server order; gap-safe because writers commit ids in order."""
    return list(ChangeLogEntry.objects.filter(driver=driver, id__gt=cursor).order_by("id")[:limit])


def device_list_with_counts() -> QuerySet[DriverDevice]:
    return DriverDevice.objects.select_related("driver").annotate(
        rejected_actions=Count("actions", filter=Q(actions__result=ActionResult.REJECTED), distinct=True),
        open_conflicts=Count(
            "actions__conflict", filter=Q(actions__conflict__status=ConflictStatus.OPEN), distinct=True
        ),
    )


def sync_dashboard_summary() -> dict[str, Any]:
    """Per device: last sync, queue lag, clock offset, rejected actions, open conflicts (contract)."""
    devices = [
        {
            "driver_id": device.driver_id,
            "driver": device.driver.name,
            "device_id": str(device.device_id),
            "last_sync_at": device.last_sync_at,
            "queue_lag_seconds": device.queue_lag_seconds,
            "clock_offset_seconds": device.clock_offset_seconds,
            "rejected_actions": device.rejected_actions,
            "open_conflicts": device.open_conflicts,
        }
        for device in device_list_with_counts().filter(is_revoked=False).order_by("driver__name", "pk")
    ]
    lags = [device["queue_lag_seconds"] for device in devices if device["queue_lag_seconds"] is not None]
    return {
        "devices": devices,
        "max_lag_seconds": max(lags) if lags else None,
        "open_conflicts": SyncConflict.objects.filter(status=ConflictStatus.OPEN).count(),
    }


def driver_positions() -> list[dict[str, Any]]:
    """The last GPS point of each driver today (Asia/Taipei), newest first (contract)."""
    today = timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    today_points = LocationPoint.objects.filter(recorded_at__gte=start)
    if connection.features.can_distinct_on_fields:  # PostgreSQL: one pass
        points = (
            today_points.select_related("driver")
            .order_by("driver_id", "-recorded_at", "-point_seq")
            .distinct("driver_id")
        )
    else:  # the embedded SQLite of `make run`: each driver's newest point by a subquery
        newest = today_points.filter(driver_id=OuterRef("driver_id")).order_by("-recorded_at", "-point_seq")
        points = today_points.filter(pk=Subquery(newest.values("pk")[:1])).select_related("driver")
    positions = [
        {
            "driver_id": point.driver_id,
            "driver": point.driver.name,
            "latitude": float(point.latitude),
            "longitude": float(point.longitude),
            "at": point.recorded_at,
        }
        for point in points
    ]
    return sorted(positions, key=lambda position: position["at"], reverse=True)
