"""The change feed the phones pull, and which stops each driver's phone was given."""

from collections.abc import Sequence

from django.db import connection, transaction
from django.utils import timezone

from luckygas.delivery.models import Driver, Route, RouteStop, StopStatus
from offline_sync.models import (
    ChangeKind,
    ChangeLogEntry,
    DriverDevice,
    StopAssignment,
)
from offline_sync.selectors import clock_or_none

# One key for the transaction-level advisory lock that serializes change-feed writers.
CHANGE_LOG_LOCK_KEY = 0x4C47_5359_4E43  # "LGSYNC"

# The `source` of the stop and order events of a driver's push: the push writes its own feed entries.
PUSH_SOURCE = "driver_sync"


# --- Change feed ---------------------------------------------------------------------------


def change_log_append(*, entries: Sequence[ChangeLogEntry]) -> list[ChangeLogEntry]:
    """Append feed entries and notify the drivers' phones after commit.

    The advisory lock is held until the surrounding transaction ends, so a later writer can
    only draw its ids after this one committed: ids become visible in increasing order.
    """
    if not entries:
        return []
    with transaction.atomic(savepoint=False):
        # SQLite (`make run`'s default) lets one writer in at a time, which orders ids already.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHANGE_LOG_LOCK_KEY])
        created = ChangeLogEntry.objects.bulk_create(entries)
        latest: dict[int, int] = {}
        for entry in created:
            latest[entry.driver_id] = max(latest.get(entry.driver_id, 0), entry.pk)
        kinds = {entry.kind for entry in created}
        transaction.on_commit(lambda: _notify_drivers(latest, kinds))
    return created


def _notify_drivers(latest_cursor_by_driver: dict[int, int], kinds: set[str]) -> None:
    from offline_sync import tasks
    from offline_sync.services.notifications import notify_websockets, web_push_enabled

    notify_websockets(cursors=latest_cursor_by_driver)
    if web_push_enabled() and kinds - {ChangeKind.STOP_CHANGED}:
        devices = DriverDevice.objects.filter(
            driver_id__in=list(latest_cursor_by_driver), is_revoked=False, push_subscription__isnull=False
        ).values_list("pk", "driver_id")
        for device_pk, driver_id in devices:
            tasks.send_web_push.delay(device_pk, {"type": "changes", "cursor": latest_cursor_by_driver[driver_id]})


def stop_assignments_sync(*, route_id: int) -> list[ChangeLogEntry]:
    """After the office changed a route: record stops added to it and stops taken from other drivers."""
    with transaction.atomic():
        route = Route.objects.filter(pk=route_id).first()
        if route is None:
            return []
        stops = list(RouteStop.objects.filter(route=route).order_by("sequence"))
        stop_ids = [stop.pk for stop in stops]
        already = set(
            StopAssignment.objects.filter(stop_id__in=stop_ids, driver_id=route.driver_id).values_list(
                "stop_id", flat=True
            )
        )
        entries: list[ChangeLogEntry] = []
        now = timezone.now()
        new_stops = [stop for stop in stops if stop.pk not in already]
        StopAssignment.objects.bulk_create(
            [StopAssignment(stop=stop, driver_id=route.driver_id) for stop in new_stops], ignore_conflicts=True
        )
        entries += [
            ChangeLogEntry(driver_id=route.driver_id, route=route, stop=stop, kind=ChangeKind.STOP_ADDED)
            for stop in new_stops
        ]
        # The same stop previously handed to another driver is now gone from their route.
        taken = list(
            StopAssignment.objects.filter(stop_id__in=stop_ids, removed_at__isnull=True)
            .exclude(driver_id=route.driver_id)
            .order_by("pk")
        )
        StopAssignment.objects.filter(pk__in=[assignment.pk for assignment in taken]).update(removed_at=now)
        entries += [
            ChangeLogEntry(driver_id=assignment.driver_id, stop_id=assignment.stop_id, kind=ChangeKind.STOP_REMOVED)
            for assignment in taken
        ]
        entries.append(
            ChangeLogEntry(
                driver_id=route.driver_id,
                route=route,
                kind=ChangeKind.ROUTE_CHANGED,
                data={"stops": [[stop.pk, stop.sequence, stop.version] for stop in stops]},
            )
        )
        return change_log_append(entries=entries)


def stop_assignments_record(*, driver: Driver, stop_ids: Sequence[int]) -> None:
    """Remember which stops a driver's phone was given, so a later reassignment is a conflict."""
    StopAssignment.objects.bulk_create(
        [StopAssignment(stop_id=stop_id, driver=driver) for stop_id in stop_ids], ignore_conflicts=True
    )


def change_feed_record_stops(*, stop_ids: Sequence[int]) -> list[ChangeLogEntry]:
    """After office changes of stops (cancelled, edited): tell their drivers' phones, in one append."""
    if not stop_ids:
        return []
    stops = RouteStop.objects.select_related("route").filter(pk__in=set(stop_ids)).order_by("pk")
    return change_log_append(
        entries=[
            ChangeLogEntry(
                driver_id=stop.route.driver_id,
                route_id=stop.route_id,
                stop=stop,
                kind=ChangeKind.STOP_CANCELLED if stop.status == StopStatus.CANCELLED else ChangeKind.STOP_CHANGED,
                data={
                    "status": stop.status,
                    "version": stop.version,
                    "planned_arrival_start": clock_or_none(stop.planned_arrival_start),
                    "planned_arrival_end": clock_or_none(stop.planned_arrival_end),
                },
            )
            for stop in stops
        ]
    )


def change_feed_record_orders(*, changes: Sequence[tuple[int, str]]) -> list[ChangeLogEntry]:
    """Orders on routes changed status outside a driver's push: tell the phones about their stops.

    A cancel reaches the feed as a stop change, and a delivery or failure came from a phone.
    """
    order_ids = {order_id for order_id, to_status in changes if to_status not in {"cancelled", "delivered", "failed"}}
    if not order_ids:
        return []
    stop_ids = list(RouteStop.objects.filter(order_id__in=order_ids).values_list("pk", flat=True))
    return change_feed_record_stops(stop_ids=stop_ids)
