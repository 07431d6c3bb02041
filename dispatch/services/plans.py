"""Plan drafts: create, run the solver, move and lock stops with the constraints checked, publish."""

from __future__ import annotations

import datetime
import math
from dataclasses import asdict, dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import Depot, PlanDraft, PlanStatus
from dispatch.services.days import Day, day_build
from dispatch.services.problem import PlannedRoute, UnplannedReason
from dispatch.services.solver import problem_solve, route_schedule
from luckygas.delivery.models import RouteStop

ARRIVAL_WINDOW_SECONDS = 3600
ARRIVAL_ROUNDING_SECONDS = 900


@dataclass(frozen=True)
class Violation:
    order: int | None
    shift: int
    code: str  # capacity_kg, capacity_slots, late, shift_end
    message: str


def clock(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def arrival_window(service_start: float) -> tuple[float, float]:
    start = math.floor(service_start / ARRIVAL_ROUNDING_SECONDS) * ARRIVAL_ROUNDING_SECONDS
    return start, start + ARRIVAL_WINDOW_SECONDS


def plan_create(
    *, date: datetime.date, depot: Depot, time_limit_seconds: int = 30, created_by: AbstractBaseUser | None = None
) -> PlanDraft:
    """A queued draft; the Celery task `dispatch.plan_run` is enqueued after commit."""
    from dispatch.tasks import plan_run_task

    if not 1 <= time_limit_seconds <= 600:
        raise ValidationError({"time_limit_seconds": _("Choose between 1 and 600 seconds.")})
    plan = PlanDraft.objects.create(
        date=date, depot=depot, time_limit_seconds=time_limit_seconds, created_by=created_by
    )
    transaction.on_commit(lambda: plan_run_task.delay(plan.pk))
    return plan


def _locked(plan: PlanDraft) -> dict[int, list[int]]:
    return {
        route["shift"]: [stop["order"] for stop in route["stops"] if stop.get("is_locked")] for route in plan.routes
    }


def _removed(plan: PlanDraft) -> set[int]:
    return {int(entry["order"]) for entry in plan.unplanned if entry["reason"] == UnplannedReason.REMOVED_BY_DISPATCHER}


def _store(plan: PlanDraft, day: Day, routes: list[PlannedRoute], unplanned: dict[int, UnplannedReason]) -> None:
    locked = {order for keys in _locked(plan).values() for order in keys}
    plan.routes = []
    for route in routes:
        stops = []
        for stop in route.stops:
            start, end = arrival_window(stop.service_start)
            stops.append(
                {
                    "order": stop.job_key,
                    "arrival": clock(stop.service_start),
                    "window_start": clock(start),
                    "window_end": clock(end),
                    "is_locked": stop.job_key in locked,
                }
            )
        plan.routes.append(
            {
                "shift": route.vehicle_key,
                "stops": stops,
                "distance_m": round(route.distance, 1),
                "start": clock(route.start),
                "end": clock(route.end),
            }
        )
    reasons = {**day.excluded, **unplanned}
    plan.unplanned = [{"order": key, "reason": str(reasons[key])} for key in sorted(reasons)]
    plan.distance_m = round(sum(route.distance for route in routes), 1)


def plan_run(*, plan: PlanDraft, seconds: float | None = None, not_before: float = 0.0) -> PlanDraft:
    """Solve the draft's day, keeping its locked stops on their routes in their places and the orders the dispatcher
    removed off the routes; stores routes and unplanned."""
    PlanDraft.objects.filter(pk=plan.pk).update(status=PlanStatus.RUNNING, progress=5)
    day = day_build(date=plan.date, depot=plan.depot, locked=_locked(plan), not_before=not_before)
    # Orders the dispatcher took off the routes stay off until dragged back onto one.
    removed = _removed(plan) & {job.key for job in day.problem.jobs}
    day.problem.jobs = [job for job in day.problem.jobs if job.key not in removed]
    day.excluded.update(dict.fromkeys(removed, UnplannedReason.REMOVED_BY_DISPATCHER))
    PlanDraft.objects.filter(pk=plan.pk).update(progress=10)
    result = problem_solve(problem=day.problem, seconds=seconds or plan.time_limit_seconds)
    _store(plan, day, result.routes, result.unplanned)
    plan.status, plan.progress, plan.error = PlanStatus.DRAFT, 100, ""
    plan.save(update_fields=["routes", "unplanned", "distance_m", "status", "progress", "error", "updated_at"])
    return plan


def plan_check(*, plan: PlanDraft, day: Day | None = None) -> list[Violation]:
    """Every constraint the draft's routes break, under exact travel times."""
    day = day or day_build(date=plan.date, depot=plan.depot)
    jobs = {job.key: job for job in day.problem.jobs}
    vehicles = {vehicle.key: vehicle for vehicle in day.problem.vehicles}
    violations = []
    for route in plan.routes:
        vehicle = vehicles[route["shift"]]
        keys = [stop["order"] for stop in route["stops"] if stop["order"] in jobs]
        schedule = route_schedule(problem=day.problem, vehicle=vehicle, job_keys=keys)
        for dimension, code in enumerate(("capacity_kg", "capacity_slots")):
            load = sum(jobs[k].delivery[dimension] for k in keys)
            peak = load
            for key in keys:
                load += jobs[key].pickup[dimension] - jobs[key].delivery[dimension]
                peak = max(peak, load)
            if peak > vehicle.capacity[dimension]:
                violations.append(
                    Violation(
                        None,
                        vehicle.key,
                        code,
                        str(
                            _("Load %(peak)s over capacity %(capacity)s")
                            % {"peak": peak, "capacity": vehicle.capacity[dimension]}
                        ),
                    )
                )
        for stop in schedule.stops:
            if stop.service_start > jobs[stop.job_key].window_end:
                violations.append(
                    Violation(
                        stop.job_key,
                        vehicle.key,
                        "late",
                        str(_("Arrives %(time)s, after the delivery slot") % {"time": clock(stop.service_start)}),
                    )
                )
        if schedule.end > vehicle.shift_end:
            violations.append(
                Violation(
                    None,
                    vehicle.key,
                    "shift_end",
                    str(_("Back at %(time)s, after the shift ends") % {"time": clock(schedule.end)}),
                )
            )
    return violations


def plan_stop_move(*, plan: PlanDraft, order_id: int, shift_id: int, position: int) -> list[dict]:
    """Move an order (planned or not) to a shift's route at a position; returns the violations as dicts."""
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError({"plan": _("Only a draft can be changed.")})
    day = day_build(date=plan.date, depot=plan.depot)
    if shift_id not in day.shifts:
        raise ValidationError({"shift": _("This vehicle shift is not in the plan's day and depot.")})
    if order_id not in {job.key for job in day.problem.jobs}:
        raise ValidationError({"order": _("This order cannot be planned on this day.")})
    routes = {route["shift"]: [s["order"] for s in route["stops"]] for route in plan.routes}
    locked = _locked(plan)
    if order_id in {o for keys in locked.values() for o in keys}:
        raise ValidationError({"order": _("Unlock the stop before moving it.")})
    for keys in routes.values():
        if order_id in keys:
            keys.remove(order_id)
    target = routes.setdefault(shift_id, [])
    target.insert(max(0, min(position, len(target))), order_id)
    unplanned = {
        int(entry["order"]): UnplannedReason(entry["reason"]) for entry in plan.unplanned if entry["order"] != order_id
    }
    return _save_edit(plan, day, routes, unplanned)


def _save_edit(
    plan: PlanDraft, day: Day, routes: dict[int, list[int]], unplanned: dict[int, UnplannedReason]
) -> list[dict]:
    """Store the dispatcher's routes with their times recomputed; the violations as dicts."""
    vehicles = {vehicle.key: vehicle for vehicle in day.problem.vehicles}
    schedules = [
        route_schedule(problem=day.problem, vehicle=vehicles[shift], job_keys=keys)
        for shift, keys in routes.items()
        if keys
    ]
    _store(plan, day, schedules, {k: v for k, v in unplanned.items() if k not in day.excluded})
    plan.save(update_fields=["routes", "unplanned", "distance_m", "updated_at"])
    return [asdict(v) for v in plan_check(plan=plan, day=day)]


def plan_stop_unplan(*, plan: PlanDraft, order_id: int) -> list[dict]:
    """Take a stop off its route: the order becomes unplanned, removed by the dispatcher, and re-optimizing leaves
    it out until it is dragged back onto a route. A locked stop must be unlocked first, and an order already on a
    driver's route can only be moved (publishing adds and moves stops, it never removes one). Returns the violations."""
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError({"plan": _("Only a draft can be changed.")})
    routes = {route["shift"]: [s["order"] for s in route["stops"]] for route in plan.routes}
    if not any(order_id in keys for keys in routes.values()):
        raise ValidationError({"order": _("This order is not on a route of the plan.")})
    if order_id in {o for keys in _locked(plan).values() for o in keys}:
        raise ValidationError({"order": _("Unlock the stop before removing it from its route.")})
    if RouteStop.objects.filter(order_id=order_id).exists():
        # Publishing never takes a stop off a driver's route, so the draft would say unplanned while the phone has it.
        raise ValidationError(
            {"order": _("This order is already on a driver's route: move it to another route instead.")}
        )
    day = day_build(date=plan.date, depot=plan.depot)
    for keys in routes.values():
        if order_id in keys:
            keys.remove(order_id)
    unplanned = {int(entry["order"]): UnplannedReason(entry["reason"]) for entry in plan.unplanned}
    unplanned[order_id] = UnplannedReason.REMOVED_BY_DISPATCHER
    return _save_edit(plan, day, routes, unplanned)


def plan_stop_lock(*, plan: PlanDraft, order_id: int, is_locked: bool) -> PlanDraft:
    """Lock or unlock a planned stop: re-optimizing keeps a locked stop on its route, in its place among the
    route's other locked stops, and plans the free stops before, between and after them."""
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError({"plan": _("Only a draft can be changed.")})
    for route in plan.routes:
        for stop in route["stops"]:
            if stop["order"] == order_id:
                stop["is_locked"] = is_locked
                plan.save(update_fields=["routes", "updated_at"])
                return plan
    raise ValidationError({"order": _("This order is not on a route of the plan.")})


def plan_reoptimize(*, plan_id: int, time_limit_seconds: int | None = None) -> PlanDraft:
    """Queue a draft to be solved again: its locked stops stay in their places on their routes, the rest is re-planned.

    Claimed by a conditional UPDATE (draft → queued), so two clicks queue it once; the task runs after commit.
    """
    from dispatch.tasks import plan_run_task

    if time_limit_seconds is not None and not 1 <= time_limit_seconds <= 600:
        raise ValidationError({"time_limit_seconds": _("Choose between 1 and 600 seconds.")})
    changes: dict = {"status": PlanStatus.QUEUED, "progress": 0, "error": "", "updated_at": timezone.now()}
    if time_limit_seconds is not None:
        changes["time_limit_seconds"] = time_limit_seconds
    claimed = PlanDraft.objects.filter(pk=plan_id, status=PlanStatus.DRAFT).update(**changes)
    if not claimed:
        raise ValidationError({"plan": _("Only a draft can be re-optimized.")})
    transaction.on_commit(lambda: plan_run_task.delay(plan_id))
    return PlanDraft.objects.get(pk=plan_id)


def plan_mark_failed(*, plan_id: int, error: str) -> None:
    PlanDraft.objects.filter(pk=plan_id).update(status=PlanStatus.FAILED, error=error[:200], updated_at=timezone.now())
