"""Reads for the planning page: who may plan, a day's orders and shifts, a draft with its totals and violations."""

from __future__ import annotations

import datetime
from dataclasses import asdict
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import Depot, PlanDraft, PlanStatus, VehicleShift
from dispatch.services.days import Day, day_build
from dispatch.services.plans import plan_check
from dispatch.services.problem import UnplannedReason
from luckygas.delivery.models import Order

REASON_LABELS = {
    UnplannedReason.NO_COORDINATES: _("No map coordinates"),
    UnplannedReason.OUTSIDE_SHIFTS: _("Fits no vehicle's shift or the delivery slot"),
    UnplannedReason.OVER_CAPACITY: _("Over every vehicle's capacity"),
    UnplannedReason.CLOSED_DAY: _("The customer is closed that day"),
    UnplannedReason.NOT_ROUTED: _("Not placed on a route"),
    UnplannedReason.REMOVED_BY_DISPATCHER: _("Removed by the dispatcher"),
}


def user_may_plan(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff with the `dispatch.plan_routes` permission: the office and admin groups hold it, an admin can grant
    it to anyone else; managers look at plans in admin, drivers never see them."""
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    return user.has_perm("dispatch.plan_routes")


def reason_label(reason: str) -> str:
    try:
        return str(REASON_LABELS[UnplannedReason(reason)])
    except ValueError:
        return reason


def _order_row(order: Order) -> dict[str, Any]:
    lines = list(order.lines.all())
    customer = order.customer
    return {
        "id": order.pk,
        "customer": customer.short_name,
        "address": f"{customer.city}{customer.district}{customer.address}",
        "latitude": float(customer.latitude) if customer.latitude is not None else None,
        "longitude": float(customer.longitude) if customer.longitude is not None else None,
        "slot": order.slot,
        "slot_label": str(order.get_slot_display()),
        "is_urgent": order.priority == "urgent",
        "kg": sum(line.quantity * line.product.size_kg for line in lines),
        "cylinders": sum(line.quantity for line in lines),
        "empties": order.empties_to_collect,
    }


def _shift_row(shift: VehicleShift) -> dict[str, Any]:
    return {
        "id": shift.pk,
        "driver": shift.driver.name,
        "vehicle": str(shift.vehicle),
        "starts_at": shift.starts_at.strftime("%H:%M"),
        "ends_at": shift.ends_at.strftime("%H:%M"),
        "capacity_kg": shift.capacity_kg,
        "capacity_slots": shift.capacity_slots,
    }


def latest_plan(*, date: datetime.date, depot: Depot) -> PlanDraft | None:
    return PlanDraft.objects.filter(date=date, depot=depot).order_by("-created_at", "-pk").first()


def planning_day(*, date: datetime.date, depot: Depot) -> dict[str, Any]:
    """The date's orders for the depot (those that cannot be planned with their reason), its shifts, its latest plan."""
    day = day_build(date=date, depot=depot)
    plan = latest_plan(date=date, depot=depot)
    return {
        "date": date.isoformat(),
        "depot": {
            "id": depot.pk,
            "name": depot.name,
            "latitude": float(depot.latitude),
            "longitude": float(depot.longitude),
        },
        "depots": [{"id": d.pk, "name": d.name} for d in Depot.objects.filter(is_active=True).order_by("name")],
        "shifts": [_shift_row(shift) for shift in sorted(day.shifts.values(), key=lambda s: s.pk)],
        "orders": [
            {
                **_order_row(order),
                "reason": str(day.excluded[order.pk]) if order.pk in day.excluded else None,
                "reason_label": reason_label(day.excluded[order.pk]) if order.pk in day.excluded else None,
            }
            for order in day.orders.values()
        ],
        "plan": {"id": plan.pk, "status": plan.status} if plan is not None else None,
    }


def plan_progress(plan: PlanDraft) -> int:
    """The solver reports no progress of its own: while it runs, estimate from the time spent against its limit."""
    if plan.status in (PlanStatus.DRAFT, PlanStatus.PUBLISHED):
        return 100
    if plan.status != PlanStatus.RUNNING:
        return plan.progress
    elapsed = (timezone.now() - plan.updated_at).total_seconds()
    estimate = 10 + int(85 * elapsed / max(plan.time_limit_seconds, 1))
    return max(plan.progress, min(estimate, 95))


def plan_detail(*, plan: PlanDraft, day: Day | None = None) -> dict[str, Any]:
    """The draft for the page: routes of every shift of the day with totals, unplanned orders with reasons,
    and every violation of the constraints (checked now, against the day as it is)."""
    result: dict[str, Any] = {
        "id": plan.pk,
        "date": plan.date.isoformat(),
        "depot": plan.depot_id,
        "status": plan.status,
        "status_label": str(plan.get_status_display()),
        "progress": plan_progress(plan),
        "time_limit_seconds": plan.time_limit_seconds,
        "error": plan.error,
        "published_at": plan.published_at.isoformat() if plan.published_at else None,
        "distance_km": round(plan.distance_m / 1000, 1),
        "routes": [],
        "unplanned": [],
        "violations": [],
    }
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.PUBLISHED) and not plan.routes:
        return result
    day = day or day_build(date=plan.date, depot=plan.depot)
    violations = [asdict(v) for v in plan_check(plan=plan, day=day)] if plan.routes else []
    result["violations"] = violations
    rows = {order_id: _order_row(order) for order_id, order in day.orders.items()}
    planned = {route["shift"]: route for route in plan.routes}
    for shift in sorted(day.shifts.values(), key=lambda s: s.pk):
        route = planned.get(shift.pk, {"stops": [], "distance_m": 0, "start": "", "end": ""})
        stops = []
        for stop in route["stops"]:
            own = [v for v in violations if v["order"] == stop["order"]]
            stops.append({**stop, **rows.get(stop["order"], {"id": stop["order"]}), "violations": own})
        late = sum(1 for v in violations if v["shift"] == shift.pk and v["code"] == "late")
        result["routes"].append(
            {
                "shift": _shift_row(shift),
                "stops": stops,
                "violations": [v for v in violations if v["shift"] == shift.pk and v["order"] is None],
                "totals": {
                    "stops": len(stops),
                    "kg": sum(s.get("kg", 0) for s in stops),
                    "cylinders": sum(s.get("cylinders", 0) for s in stops),
                    "empties": sum(s.get("empties", 0) for s in stops),
                    "distance_km": round(route["distance_m"] / 1000, 1),
                    "start": route["start"] if stops else "",
                    "end": route["end"] if stops else "",
                    "late_stops": late,
                },
            }
        )
    result["unplanned"] = [
        {
            **rows.get(entry["order"], {"id": entry["order"]}),
            "reason": entry["reason"],
            "reason_label": reason_label(entry["reason"]),
        }
        for entry in plan.unplanned
    ]
    return result
