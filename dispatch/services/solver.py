"""PyVRP (hybrid genetic search) behind one function: `problem_solve(problem=..., seconds=...)`.

PyVRP wants integers. Travel times are multiplied by `scale` and rounded UP, window ends rounded DOWN and
window starts UP, so every schedule the solver accepts is also feasible under the exact, unrounded times.
Distances reported back are recomputed from the exact matrix, never the rounded one.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

from dispatch.services.problem import Job, Plan, PlannedRoute, PlannedStop, Problem, UnplannedReason, VehicleSpec

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


def _fixed_prefix_state(problem: Problem, vehicle: VehicleSpec, keys: tuple[int, ...]) -> tuple[int, float, list[int]]:
    """Where and when a vehicle is free after its fixed stops, and the capacity left for new work.

    Capacity left is conservative: the peak load of the fixed part (its deliveries still aboard plus the
    empties already collected) is kept free along the whole route.
    """
    jobs = {job.key: job for job in problem.jobs}
    schedule = route_schedule(problem=problem, vehicle=vehicle, job_keys=list(keys))
    last = jobs[keys[-1]]
    free_at = schedule.stops[-1].service_start + last.service_seconds
    dims = len(vehicle.capacity)
    peak = [0] * dims
    for dim in range(dims):
        aboard = sum(jobs[k].delivery[dim] for k in keys)
        peak[dim] = aboard
        for k in keys:
            aboard += jobs[k].pickup[dim] - jobs[k].delivery[dim]
            peak[dim] = max(peak[dim], aboard)
    left = [max(0, c - p) for c, p in zip(vehicle.capacity, peak, strict=True)]
    return last.location, max(free_at, problem.not_before), left


def problem_solve(*, problem: Problem, seconds: float, scale: float = 1.0, seed: int = 1) -> Plan:
    """Plan every job that fits; fixed prefixes stay first on their vehicles, the rest is optimized."""
    began = time.perf_counter()
    unplanned = problem_precheck(problem=problem)
    for job in problem.jobs:
        # A window narrower than the solver's time unit has no whole unit in it (0.5 s to 0.5 s):
        # no plan can start the job inside it at this scale.
        if job.key not in unplanned and _up(job.window_start, scale) > _down(job.window_end, scale):
            unplanned[job.key] = UnplannedReason.OUTSIDE_SHIFTS
    fixed_keys = {key for fixed in problem.fixed for key in fixed.job_keys}
    free_jobs = [job for job in problem.jobs if job.key not in unplanned and job.key not in fixed_keys]
    fixed_by_vehicle = {fixed.vehicle_key: fixed.job_keys for fixed in problem.fixed if fixed.job_keys}

    # PyVRP locations: one per vehicle start (its depot, or its last fixed stop), the shared depots, then jobs.
    location_ids: list[int] = []
    depots: list[pyvrp.Depot] = []
    vehicle_types: list[pyvrp.VehicleType] = []
    depot_index: dict[int, int] = {}

    def depot_for(location: int) -> int:
        if location not in depot_index:
            depot_index[location] = len(depots)
            location_ids.append(location)
            depots.append(pyvrp.Depot(len(depots)))
        return depot_index[location]

    for vehicle in problem.vehicles:
        end = depot_for(vehicle.depot_location)
        start_location, free_at, capacity = vehicle.depot_location, vehicle.shift_start, list(vehicle.capacity)
        if vehicle.key in fixed_by_vehicle:
            start_location, free_at, capacity = _fixed_prefix_state(problem, vehicle, fixed_by_vehicle[vehicle.key])
        else:
            free_at = max(free_at, problem.not_before)
        start = depot_for(start_location) if start_location != vehicle.depot_location else end
        if _up(free_at, scale) > _down(vehicle.shift_end, scale):
            capacity = [0] * len(capacity)  # no time left in its shift: it takes nothing more
        vehicle_types.append(
            pyvrp.VehicleType(
                1,
                capacity=capacity,
                start_depot=start,
                end_depot=end,
                tw_early=_up(free_at, scale),
                # (with no time left, an empty window at its free time: the solver refuses an inverted one)
                tw_late=max(_up(free_at, scale), _down(vehicle.shift_end, scale)),
                name=str(vehicle.key),
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
    routes_by_vehicle: dict[int, list[int]] = {v.key: list(fixed_by_vehicle.get(v.key, ())) for v in problem.vehicles}
    if clients and vehicle_types:
        data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, [int_distance], [int_duration], [], [])
        # The limit is the dispatcher's for the whole plan: building the matrices and scheduling come out of it.
        left = seconds - (time.perf_counter() - began) - _SCHEDULING_MARGIN_SECONDS
        result = pyvrp.solve(data, stop=MaxRuntime(max(0.1, left)), seed=seed, display=False, collect_stats=False)
        best = result.best
        if best.is_feasible():
            for route in best.routes():
                vehicle = problem.vehicles[route.vehicle_type()]
                routes_by_vehicle[vehicle.key].extend(
                    free_jobs[activity.idx].key for activity in route if activity.is_client()
                )
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
