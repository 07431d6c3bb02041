"""PyVRP (hybrid genetic search) behind one function: `problem_solve(problem=..., seconds=...)`.

PyVRP wants integers. Travel times are multiplied by `scale` and rounded UP, window ends rounded DOWN and
window starts UP, so every schedule the solver accepts is also feasible under the exact, unrounded times.
Distances reported back are recomputed from the exact matrix, never the rounded one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

from dispatch.services.problem import (
    FixedRoute,
    Job,
    Plan,
    PlannedRoute,
    PlannedStop,
    Problem,
    UnplannedReason,
    VehicleSpec,
)

_INFINITY = 2**40
_SCHEDULING_MARGIN_SECONDS = 0.5


def _up(value: float, scale: float) -> int:
    return _INFINITY if math.isinf(value) else min(_INFINITY, math.ceil(value * scale))


def _down(value: float, scale: float) -> int:
    return _INFINITY if math.isinf(value) else min(_INFINITY, math.floor(value * scale))


def _fits_some_vehicle(job: Job, vehicles: list[VehicleSpec]) -> bool:
    return any(
        all(max(d, p) <= c for d, p, c in zip(job.delivery, job.pickup, v.capacity, strict=True)) for v in vehicles
    )


def _reachable(job: Job, problem: Problem) -> bool:
    for vehicle in problem.vehicles:
        arrival = vehicle.shift_start + problem.durations[vehicle.depot_location][job.location]
        start = max(arrival, job.window_start)
        back = start + job.service_seconds + problem.durations[job.location][vehicle.depot_location]
        if start <= job.window_end and back <= vehicle.shift_end:
            return True
    return False


def problem_precheck(*, problem: Problem) -> dict[int, UnplannedReason]:
    """Jobs no vehicle could ever serve alone, with the reason; the solver never sees them."""
    reasons: dict[int, UnplannedReason] = {}
    for job in problem.jobs:
        if not _fits_some_vehicle(job, problem.vehicles):
            reasons[job.key] = UnplannedReason.OVER_CAPACITY
        elif job.window_start > job.window_end or not _reachable(job, problem):
            reasons[job.key] = UnplannedReason.OUTSIDE_SHIFTS
    return reasons


def route_schedule(
    *, problem: Problem, vehicle: VehicleSpec, job_keys: list[int], start: float | None = None
) -> PlannedRoute:
    """Earliest-start schedule of a route under exact times (waiting when early)."""
    jobs = {job.key: job for job in problem.jobs}
    clock = vehicle.shift_start if start is None else start
    here = vehicle.depot_location
    distance = 0.0
    stops = []
    for key in job_keys:
        job = jobs[key]
        clock += problem.durations[here][job.location]
        distance += problem.distances[here][job.location]
        arrival = clock
        clock = max(clock, job.window_start)
        stops.append(PlannedStop(job_key=key, arrival=arrival, service_start=clock))
        clock += job.service_seconds
        here = job.location
    clock += problem.durations[here][vehicle.depot_location]
    distance += problem.distances[here][vehicle.depot_location]
    return PlannedRoute(vehicle_key=vehicle.key, stops=stops, distance=distance, start=vehicle.shift_start, end=clock)


@dataclass(frozen=True)
class _Segment:
    """Part of one vehicle's day the solver fills: from a place and time to a place, by a deadline.

    `after` numbers the segment on its vehicle: 0 starts after the fixed prefix (or at the depot), i starts
    at the i-th locked stop. The last segment ends at the depot by the end of the shift.
    """

    vehicle: VehicleSpec
    after: int
    start_location: int
    end_location: int
    earliest: float
    latest: float
    capacity: tuple[int, ...]


def _peak_load(jobs: dict[int, Job], keys: list[int], dims: int) -> list[int]:
    """The most a vehicle carries along `keys`: it leaves with every delivery and brings back every pickup."""
    peak = [0] * dims
    for dim in range(dims):
        aboard = sum(jobs[k].delivery[dim] for k in keys)
        peak[dim] = aboard
        for k in keys:
            aboard += jobs[k].pickup[dim] - jobs[k].delivery[dim]
            peak[dim] = max(peak[dim], aboard)
    return peak


def _day_end(problem: Problem, vehicle: VehicleSpec, free_at: float) -> float:
    """The end of the vehicle's shift or, without one (VRPLIB without windows), a horizon no route can need
    more than, so locked stops get finite times and the segments finite deadlines and spare times."""
    if not math.isinf(vehicle.shift_end):
        return vehicle.shift_end
    durations = problem.durations
    starts = [job.window_start for job in problem.jobs if not math.isinf(job.window_start)]
    return (
        max([free_at, *starts])
        + sum(job.service_seconds + max(durations[job.location]) for job in problem.jobs)
        + max(durations[vehicle.depot_location])
    )


def _locked_times(
    problem: Problem, locked: list[Job], here: int, free_at: float, day_end: float, depot: int
) -> list[float] | None:
    """When each locked stop is served in the plan: midway between its earliest and its latest start.

    Earliest: the locked stops alone, one after the other from `here` at `free_at`. Latest: backwards from
    the end of the shift and each stop's window end. The same weight for every stop keeps each gap at least
    the service and travel between them, so the times are a feasible schedule; None when none exists.
    """
    durations = problem.durations
    earliest = []
    clock, location = free_at, here
    for job in locked:
        clock = max(clock + durations[location][job.location], job.window_start)
        earliest.append(clock)
        clock += job.service_seconds
        location = job.location
    latest = [0.0] * len(locked)
    deadline, location = day_end, depot
    for index in range(len(locked) - 1, -1, -1):
        job = locked[index]
        latest[index] = min(job.window_end, deadline - durations[job.location][location] - job.service_seconds)
        deadline, location = latest[index], job.location
    if any(first > last for first, last in zip(earliest, latest, strict=True)):
        return None
    return [(first + last) / 2 for first, last in zip(earliest, latest, strict=True)]


def _segments(problem: Problem, vehicle: VehicleSpec, fixed: FixedRoute | None) -> list[_Segment]:
    """A vehicle's day cut at its locked stops into segments the solver fills independently.

    Times: each locked stop gets a service time (`_locked_times`); the segment before it must arrive by then
    and the segment after it leaves once it is served. Arriving earlier only makes every later stop earlier,
    so the joined route keeps every window. Capacity: the load of the fixed and locked stops' peak is kept
    free, and what is left is split among the segments in proportion to their spare time. A stop's load is
    aboard from the depot (deliveries) or back to it (pickups), so the whole route holds when each segment
    stays within its share: conservative, but feasible under every combination the solver picks.
    """
    jobs = {job.key: job for job in problem.jobs}
    prefix = list(fixed.job_keys) if fixed else []
    locked = [jobs[key] for key in fixed.locked_keys] if fixed else []
    here, free_at = vehicle.depot_location, vehicle.shift_start
    if prefix:
        schedule = route_schedule(problem=problem, vehicle=vehicle, job_keys=prefix)
        here = jobs[prefix[-1]].location
        free_at = schedule.stops[-1].service_start + jobs[prefix[-1]].service_seconds
    free_at = max(free_at, problem.not_before)
    dims = len(vehicle.capacity)
    peak = _peak_load(jobs, prefix + [job.key for job in locked], dims)
    left = [max(0, c - p) for c, p in zip(vehicle.capacity, peak, strict=True)]
    day_end = _day_end(problem, vehicle, free_at) if locked else vehicle.shift_end
    times = _locked_times(problem, locked, here, free_at, day_end, vehicle.depot_location)
    if times is None:
        return []  # the locked stops alone break a window or the shift: the vehicle takes nothing more
    starts = [(here, free_at)] + [(job.location, t + job.service_seconds) for job, t in zip(locked, times, strict=True)]
    ends = [(job.location, t) for job, t in zip(locked, times, strict=True)] + [
        (vehicle.depot_location, vehicle.shift_end)
    ]
    spare = [
        max(0.0, min(end_time, day_end) - start_time - problem.durations[start][end])
        for (start, start_time), (end, end_time) in zip(starts, ends, strict=True)
    ]
    total = sum(spare)
    if total <= 0:
        return []
    # (one segment, no lock: it may have no end, and takes everything)
    shares = (
        [list(left)] if len(spare) == 1 else [[math.floor(amount * part / total) for amount in left] for part in spare]
    )
    widest = spare.index(max(spare))
    shares[widest] = [
        share + amount - sum(s[dim] for s in shares)
        for dim, (share, amount) in enumerate(zip(shares[widest], left, strict=True))
    ]
    return [
        _Segment(vehicle, after, start, end, start_time, end_time, tuple(share))
        for after, ((start, start_time), (end, end_time), share, part) in enumerate(
            zip(starts, ends, shares, spare, strict=True)
        )
        if part > 0
    ]


def problem_solve(*, problem: Problem, seconds: float, scale: float = 1.0, seed: int = 1) -> Plan:
    """Plan every job that fits; fixed prefixes stay first and locked stops in their places, the rest is optimized."""
    began = time.perf_counter()
    unplanned = problem_precheck(problem=problem)
    for job in problem.jobs:
        # A window narrower than the solver's time unit has no whole unit in it (0.5 s to 0.5 s):
        # no plan can start the job inside it at this scale.
        if job.key not in unplanned and _up(job.window_start, scale) > _down(job.window_end, scale):
            unplanned[job.key] = UnplannedReason.OUTSIDE_SHIFTS
    fixed_by_vehicle = {fixed.vehicle_key: fixed for fixed in problem.fixed}
    fixed_keys = {key for fixed in problem.fixed for key in (*fixed.job_keys, *fixed.locked_keys)}
    for key in fixed_keys:  # they stay where they are, even when they break a constraint (the check shows it)
        unplanned.pop(key, None)
    free_jobs = [job for job in problem.jobs if job.key not in unplanned and job.key not in fixed_keys]

    # PyVRP locations: the places segments start and end (depots, last fixed stops, locked stops), then jobs.
    location_ids: list[int] = []
    depots: list[pyvrp.Depot] = []
    vehicle_types: list[pyvrp.VehicleType] = []
    segments: list[_Segment] = []
    depot_index: dict[int, int] = {}

    def depot_for(location: int) -> int:
        if location not in depot_index:
            depot_index[location] = len(depots)
            location_ids.append(location)
            depots.append(pyvrp.Depot(len(depots)))
        return depot_index[location]

    for vehicle in problem.vehicles:
        for segment in _segments(problem, vehicle, fixed_by_vehicle.get(vehicle.key)):
            earliest, latest = _up(segment.earliest, scale), _down(segment.latest, scale)
            if earliest > latest:
                continue  # rounding to the solver's unit left no time in it
            segments.append(segment)
            vehicle_types.append(
                pyvrp.VehicleType(
                    1,
                    capacity=list(segment.capacity),
                    start_depot=depot_for(segment.start_location),
                    end_depot=depot_for(segment.end_location),
                    tw_early=earliest,
                    tw_late=latest,
                    name=f"{vehicle.key}:{segment.after}",
                )
            )
    base = len(location_ids)
    location_ids.extend(job.location for job in free_jobs)

    distance = np.array([[problem.distances[a][b] for b in location_ids] for a in location_ids], dtype=float)
    duration = np.array([[problem.durations[a][b] for b in location_ids] for a in location_ids], dtype=float)
    int_distance = np.ceil(distance * scale).astype(np.int64)
    int_duration = np.ceil(duration * scale).astype(np.int64)
    prize = int(int_distance.max(initial=1)) * 4 + 1
    clients = [
        pyvrp.Client(
            base + index,
            delivery=list(job.delivery),
            pickup=list(job.pickup),
            service_duration=_up(job.service_seconds, scale),
            tw_early=_up(job.window_start, scale),
            tw_late=_down(job.window_end, scale),
            prize=prize * (10 if job.is_urgent else 1),
            required=False,
        )
        for index, job in enumerate(free_jobs)
    ]
    locations = [pyvrp.Location(0, 0) for _ in location_ids]
    filled: dict[tuple[int, int], list[int]] = {}
    if clients and vehicle_types:
        data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, [int_distance], [int_duration], [], [])
        # The limit is the dispatcher's for the whole plan: building the matrices and scheduling come out of it.
        left = seconds - (time.perf_counter() - began) - _SCHEDULING_MARGIN_SECONDS
        result = pyvrp.solve(data, stop=MaxRuntime(max(0.1, left)), seed=seed, display=False, collect_stats=False)
        best = result.best
        if best.is_feasible():
            for route in best.routes():
                segment = segments[route.vehicle_type()]
                filled[segment.vehicle.key, segment.after] = [
                    free_jobs[activity.idx].key for activity in route if activity.is_client()
                ]
    routes_by_vehicle: dict[int, list[int]] = {}
    for vehicle in problem.vehicles:
        fixed = fixed_by_vehicle.get(vehicle.key)
        keys = list(fixed.job_keys) if fixed else []
        locked = list(fixed.locked_keys) if fixed else []
        for after in range(len(locked) + 1):
            keys.extend(filled.get((vehicle.key, after), []))
            if after < len(locked):
                keys.append(locked[after])
        routes_by_vehicle[vehicle.key] = keys
    planned = {key for keys in routes_by_vehicle.values() for key in keys}
    for job in free_jobs:
        if job.key not in planned:
            unplanned[job.key] = UnplannedReason.NOT_ROUTED
    routes = [
        route_schedule(problem=problem, vehicle=vehicle, job_keys=routes_by_vehicle[vehicle.key])
        for vehicle in problem.vehicles
        if routes_by_vehicle[vehicle.key]
    ]
    return Plan(
        routes=routes,
        unplanned=unplanned,
        distance=sum(route.distance for route in routes),
        seconds=time.perf_counter() - began,
    )
