"""v3's past routes (`routes`) and their deliveries (`route_deliveries`) as our routes and stops.

Only routes before today are imported, read-only: their driver and vehicle mapped, their stops in v3's order.
A route of today or later is reported, to be planned here. Nothing is guessed: a route without an imported
driver, or a stop without an imported order, is reported and not imported.
"""

from typing import Any

from django.utils import timezone

from luckygas.delivery.models import Driver, Order, Route, RouteStatus, RouteStop, StopStatus
from v3import.services import mapping
from v3import.services.context import Context
from v3import.services.upsert import upsert

ROUTE_STATUSES = {"completed": RouteStatus.COMPLETED, "in_progress": RouteStatus.IN_PROGRESS}
STOP_STATUSES = {"pending": StopStatus.PENDING, "delivered": StopStatus.DELIVERED, "failed": StopStatus.FAILED}
MAX_SEQUENCE = 32767
MAX_EMPTIES = 32767


def routes(rows: list[dict[str, Any]], context: Context) -> None:
    issues = context.issues
    today = timezone.localdate()
    drivers = dict(
        Driver.objects.filter(legacy_id__in={row["driver_id"] for row in rows}).values_list("legacy_id", "pk")
    )
    # Our rule: one route per driver and day. A day already taken by a route not from this v3 row is reported.
    taken = {
        (driver_id, date): legacy_id
        for driver_id, date, legacy_id in Route.objects.filter(
            driver_id__in=list(drivers.values()), date__in={row["scheduled_date"] for row in rows}
        ).values_list("driver_id", "date", "legacy_id")
    }
    batch = []
    for row in rows:
        legacy_id = row["id"]
        date = row["scheduled_date"] or mapping.local_date(row["date"])
        if date is None:
            issues.add("routes", legacy_id, "scheduled_date", None, "no date", imported=False)
            continue
        if date >= today:
            issues.add("routes", legacy_id, "scheduled_date", date, "not a past route; plan it here", imported=False)
            continue
        driver_id = drivers.get(row["driver_id"])
        if driver_id is None:
            issues.add("routes", legacy_id, "driver_id", row["driver_id"], "driver not imported", imported=False)
            continue
        holder = taken.get((driver_id, date), legacy_id)
        if holder != legacy_id:
            issues.add(
                "routes",
                legacy_id,
                "driver_id",
                row["driver_id"],
                f"the driver has another route that day (v3 route {holder})"
                if holder
                else "the driver has another route that day",
                imported=False,
            )
            continue
        taken[(driver_id, date)] = legacy_id
        vehicle_id = context.vehicles.get(row["vehicle_id"]) if row["vehicle_id"] is not None else None
        if row["vehicle_id"] is not None and vehicle_id is None:
            issues.add("routes", legacy_id, "vehicle_id", row["vehicle_id"], "vehicle not imported; route without one")
        raw_status = mapping.clean_text(row["status"]).lower()
        status = ROUTE_STATUSES.get(raw_status)
        if status is None:
            issues.add(
                "routes", legacy_id, "status", row["status"], "a past route never completed; imported as planned"
            )
            status = RouteStatus.PLANNED
        batch.append(
            (
                legacy_id,
                driver_id,
                date,
                vehicle_id,
                status,
                mapping.jsonable(
                    row,
                    [
                        "route_number",
                        "route_name",
                        "area",
                        "status",
                        "total_stops",
                        "completed_stops",
                        "total_distance_km",
                        "started_at",
                        "completed_at",
                        "created_at",
                        "updated_at",
                    ],
                ),
            )
        )
    written = upsert(Route, ["legacy_id", "driver", "date", "vehicle", "status", "legacy"], batch)
    context.count("routes", len(written))


def route_deliveries(rows: list[dict[str, Any]], context: Context) -> None:
    issues = context.issues
    route_ids = dict(
        Route.objects.filter(legacy_id__in={row["route_id"] for row in rows}).values_list("legacy_id", "pk")
    )
    order_ids = dict(
        Order.objects.filter(legacy_id__in={row["order_id"] for row in rows}).values_list("legacy_id", "pk")
    )
    # An order has one stop here: a stop of it that is not this v3 row keeps the order.
    stopped = dict(RouteStop.objects.filter(order_id__in=list(order_ids.values())).values_list("order_id", "legacy_id"))
    # Stop numbers already held on these routes, by which v3 stop: a second stop with one number is reported.
    numbered = {
        (route_id, sequence): legacy_id
        for route_id, sequence, legacy_id in RouteStop.objects.filter(route_id__in=list(route_ids.values()))
        .order_by("pk")
        .values_list("route_id", "sequence", "legacy_id")
    }
    batch = []
    for row in rows:
        legacy_id = row["id"]
        route_id = route_ids.get(row["route_id"])
        order_id = order_ids.get(row["order_id"])
        if route_id is None:
            issues.add("route_deliveries", legacy_id, "route_id", row["route_id"], "route not imported", imported=False)
            continue
        if order_id is None:
            issues.add("route_deliveries", legacy_id, "order_id", row["order_id"], "order not imported", imported=False)
            continue
        holder = stopped.get(order_id, legacy_id)
        if holder != legacy_id:
            issues.add(
                "route_deliveries",
                legacy_id,
                "order_id",
                row["order_id"],
                "the order is a stop of another route already",
                imported=False,
            )
            continue
        sequence = row["sequence"]
        if sequence is None or not 0 <= sequence <= MAX_SEQUENCE:
            issues.add("route_deliveries", legacy_id, "sequence", sequence, "not a stop number", imported=False)
            continue
        stopped[order_id] = legacy_id
        holder = numbered.setdefault((route_id, sequence), legacy_id)
        if holder != legacy_id:
            # Imported as v3 holds it, never renumbered; on our side the stop with the lower v3 id comes first.
            issues.add(
                "route_deliveries",
                legacy_id,
                "sequence",
                sequence,
                f"duplicate stop number on v3 route {row['route_id']} (v3 stop {holder} has it too)",
            )
        raw_status = mapping.clean_text(row["status"]).lower()
        status = STOP_STATUSES.get(raw_status)
        if status is None:
            issues.add("route_deliveries", legacy_id, "status", row["status"], "unknown outcome; imported as pending")
            status = StopStatus.PENDING
        note = " · ".join(
            part for part in (mapping.clean_text(row["issue_type"]), mapping.clean_text(row["notes"])) if part
        )
        if len(note) > 200:
            issues.add("route_deliveries", legacy_id, "notes", note, "note over 200 characters; cut")
        completed_at = mapping.aware(row["delivered_at"]) if status == StopStatus.DELIVERED else None
        if status == StopStatus.FAILED:
            completed_at = mapping.aware(row["arrived_at"] or row["updated_at"])
        batch.append(
            (legacy_id, route_id, order_id, sequence, status, completed_at, note[:200], _empties(row, status, issues))
        )
    written = upsert(
        RouteStop,
        ["legacy_id", "route", "order", "sequence", "status", "completed_at", "outcome_note", "empties_collected"],
        batch,
    )
    context.count("route_deliveries", len(written))


def _empties(row: dict[str, Any], status: str, issues: mapping.Issues) -> int:
    """The empties the stop brought back, as v3's order lines recorded them; what we cannot hold is reported."""
    empties = row.get("empties_received") or 0
    if empties < 0:
        issues.add("route_deliveries", row["id"], "empty_received", empties, "negative empties; imported as 0")
        return 0
    if empties > MAX_EMPTIES:
        issues.add(
            "route_deliveries", row["id"], "empty_received", empties, "too many empties for a stop; imported as 0"
        )
        return 0
    if empties and status != StopStatus.DELIVERED:
        issues.add(
            "route_deliveries", row["id"], "empty_received", empties, "empties received on a stop not delivered; kept"
        )
    return int(empties)
