"""A day's planning problem built from the database: a depot's vehicle shifts and the day's orders."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch

from dispatch.models import Depot, VehicleShift
from dispatch.services.problem import FixedRoute, Job, Problem, UnplannedReason, VehicleSpec
from dispatch.travel import Point, travel_source
from luckygas.delivery.models import FINAL_STOP_STATUSES, Order, OrderLine, OrderStatus, RouteStop


def slot_windows() -> dict[str, tuple[float, float]]:
    """`DISPATCH_SLOT_HOURS` as seconds from midnight per slot."""
    windows = {}
    for entry in settings.DISPATCH_SLOT_HOURS:
        slot, _, hours = entry.partition("=")
        start, _, end = hours.partition("-")
        windows[slot.strip()] = (float(start) * 3600, float(end) * 3600)
    return windows


def service_seconds(*, cylinders: int) -> float:
    return settings.DISPATCH_SERVICE_SECONDS_BASE + settings.DISPATCH_SERVICE_SECONDS_PER_CYLINDER * cylinders


def seconds_of(value: datetime.time) -> float:
    return value.hour * 3600 + value.minute * 60 + value.second


@dataclass
class Day:
    """The problem plus what the keys mean: job key = order id, vehicle key = shift id."""

    problem: Problem
    orders: dict[int, Order]
    shifts: dict[int, VehicleShift]
    excluded: dict[int, UnplannedReason] = field(default_factory=dict)


def day_orders(*, date: datetime.date, depot: Depot) -> list[Order]:
    """Confirmed orders of the date not yet on a route, and pending stops on this depot's routes of the date."""
    driver_ids = VehicleShift.objects.filter(date=date, depot=depot).values("driver_id")
    lines = Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
    unrouted = Order.objects.filter(delivery_date=date, status=OrderStatus.CONFIRMED, stop__isnull=True)
    routed = Order.objects.filter(stop__route__date=date, stop__route__driver_id__in=driver_ids).exclude(
        stop__status__in=FINAL_STOP_STATUSES
    )
    return list((unrouted | routed).distinct().select_related("customer").prefetch_related(lines).order_by("pk"))


def day_build(
    *,
    date: datetime.date,
    depot: Depot,
    fixed: dict[int, list[int]] | None = None,
    locked: dict[int, list[int]] | None = None,
    not_before: float = 0.0,
) -> Day:
    """The planning problem of a depot's day; `fixed` maps shift id → order ids kept first, in that order
    (done or in progress), `locked` shift id → order ids the dispatcher locked, kept in their places after them."""
    shifts = {s.pk: s for s in VehicleShift.objects.filter(date=date, depot=depot).select_related("driver", "vehicle")}
    windows = slot_windows()
    excluded: dict[int, UnplannedReason] = {}
    orders: dict[int, Order] = {}
    points = [Point(float(depot.latitude), float(depot.longitude))]
    jobs = []
    for order in day_orders(date=date, depot=depot):
        orders[order.pk] = order
        customer = order.customer
        if customer.latitude is None or customer.longitude is None:
            excluded[order.pk] = UnplannedReason.NO_COORDINATES
            continue
        if date.weekday() in (customer.closed_days or []):
            excluded[order.pk] = UnplannedReason.CLOSED_DAY
            continue
        lines = list(order.lines.all())
        cylinders = sum(line.quantity for line in lines)
        kilograms = sum(line.quantity * line.product.size_kg for line in lines)
        start, end = windows.get(order.slot, windows.get("all_day", (0.0, 86400.0)))
        points.append(Point(float(customer.latitude), float(customer.longitude), customer.area))
        jobs.append(
            Job(
                key=order.pk,
                location=len(points) - 1,
                delivery=(kilograms, cylinders),
                pickup=(0, order.empties_to_collect),
                service_seconds=service_seconds(cylinders=cylinders + order.empties_to_collect),
                window_start=start,
                window_end=end,
                area=customer.area,
                is_urgent=order.priority == "urgent",
            )
        )
    matrices = travel_source().matrices(points)
    vehicles = [
        VehicleSpec(
            key=shift.pk,
            depot_location=0,
            capacity=(shift.capacity_kg, shift.capacity_slots),
            shift_start=max(seconds_of(shift.starts_at), seconds_of(depot.opens_at)),
            shift_end=min(seconds_of(shift.ends_at), seconds_of(depot.closes_at)),
        )
        for shift in shifts.values()
    ]
    planned_keys = {job.key for job in jobs}
    fixed, locked = fixed or {}, locked or {}
    fixed_routes = [
        FixedRoute(
            vehicle_key=shift_id,
            job_keys=tuple(k for k in fixed.get(shift_id, []) if k in planned_keys),
            locked_keys=tuple(k for k in locked.get(shift_id, []) if k in planned_keys),
        )
        for shift_id in sorted(set(fixed) | set(locked))
        if shift_id in shifts
    ]
    problem = Problem(
        jobs=jobs,
        vehicles=vehicles,
        distances=matrices.distances,
        durations=matrices.durations,
        fixed=[f for f in fixed_routes if f.job_keys or f.locked_keys],
        not_before=not_before,
    )
    return Day(problem=problem, orders=orders, shifts=shifts, excluded=excluded)


def published_fixed(*, date: datetime.date, depot: Depot) -> dict[int, list[int]]:
    """Per shift, the order ids of stops already on its driver's route that must not move (all non-final stops
    of a route already started keep their place before the done ones are dropped from the problem)."""
    fixed: dict[int, list[int]] = {}
    for shift in VehicleShift.objects.filter(date=date, depot=depot):
        stops = RouteStop.objects.filter(route__date=date, route__driver_id=shift.driver_id).order_by("sequence")
        fixed[shift.pk] = [stop.order_id for stop in stops if stop.status not in FINAL_STOP_STATUSES]
    return fixed
