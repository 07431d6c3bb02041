"""An independent feasibility checker: recomputes every route from the raw problem, sharing no planner code."""

from __future__ import annotations

import itertools
import math

EPSILON = 1e-6


def check_plan(
    *,
    problem,
    routes: dict[int, list[int]],
    unplanned: dict,
    fixed: dict[int, list[int]] | None = None,
    locked: dict[int, list[int]] | None = None,
):
    """Violations of `routes` (vehicle key → job keys in order) as readable strings; [] means feasible.

    `fixed`: per vehicle, the stops that must open its route in this order (done, in progress).
    `locked`: per vehicle, the stops the dispatcher locked, in their order: each must be on that vehicle's
    route, and the route's fixed and locked stops, read in visiting order, must be exactly fixed + locked
    (so each locked stop keeps its place among them; other stops may come before, between and after).
    """
    jobs = {job.key: job for job in problem.jobs}
    vehicles = {vehicle.key: vehicle for vehicle in problem.vehicles}
    problems = []
    seen = [key for keys in routes.values() for key in keys]
    if len(seen) != len(set(seen)):
        problems.append("an order is planned twice")
    if set(seen) & set(unplanned):
        problems.append("an order is both planned and unplanned")
    if set(seen) | set(unplanned) != set(jobs):
        problems.append(f"orders missing from both: {sorted(set(jobs) - set(seen) - set(unplanned))}")
    for vehicle_key, keys in routes.items():
        vehicle = vehicles[vehicle_key]
        for dim, capacity in enumerate(vehicle.capacity):
            load = sum(jobs[k].delivery[dim] for k in keys)
            if load > capacity:
                problems.append(f"vehicle {vehicle_key} leaves with {load} > {capacity} (dim {dim})")
            for key in keys:
                load = load - jobs[key].delivery[dim] + jobs[key].pickup[dim]
                if load > capacity:
                    problems.append(f"vehicle {vehicle_key} carries {load} > {capacity} after {key} (dim {dim})")
        time, here = vehicle.shift_start, vehicle.depot_location
        for key in keys:
            job = jobs[key]
            time = max(time + problem.durations[here][job.location], job.window_start)
            if time > job.window_end + EPSILON:
                problems.append(f"job {key} starts at {time} after {job.window_end}")
            time += job.service_seconds
            here = job.location
        time += problem.durations[here][vehicle.depot_location]
        if time > vehicle.shift_end + EPSILON:
            problems.append(f"vehicle {vehicle_key} back at {time} after {vehicle.shift_end}")
        prefix = (fixed or {}).get(vehicle_key, [])
        if keys[: len(prefix)] != prefix:
            problems.append(f"vehicle {vehicle_key} moved its fixed stops {prefix}")
    held = {vehicle_key: [*(fixed or {}).get(vehicle_key, []), *keys] for vehicle_key, keys in (locked or {}).items()}
    for vehicle_key, expected in held.items():
        route = routes.get(vehicle_key, [])
        kept = [key for key in route if key in set(expected)]
        if kept != expected:
            problems.append(f"vehicle {vehicle_key} has its fixed and locked stops as {kept}, not {expected}")
        for other_key, other_route in routes.items():
            moved = set(other_route) & set(expected) if other_key != vehicle_key else set()
            if moved:
                problems.append(f"locked stops {sorted(moved)} of vehicle {vehicle_key} moved to vehicle {other_key}")
    for key in {key for keys in (locked or {}).values() for key in keys} & set(unplanned):
        problems.append(f"locked stop {key} was dropped from its route")
    return problems


def exact_distance(*, problem, routes: dict[int, list[int]]) -> float:
    jobs = {job.key: job for job in problem.jobs}
    vehicles = {vehicle.key: vehicle for vehicle in problem.vehicles}
    total = 0.0
    for vehicle_key, keys in routes.items():
        path = [
            vehicles[vehicle_key].depot_location,
            *(jobs[k].location for k in keys),
            vehicles[vehicle_key].depot_location,
        ]
        total += math.fsum(problem.distances[a][b] for a, b in itertools.pairwise(path))
    return total
