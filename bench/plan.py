"""Dispatch planning figures: our planner (PyVRP, N s) vs the same solver with 6× the time vs a dispatcher's
by-area nearest-neighbour routes, on a synthetic Taipei day and on the VRPLIB instances in bench/instances/.

Usage: .venv/bin/python bench/plan.py [--seconds 30] [--factor 6] [--only taipei|vrplib] [--runs 3]
The reported figures use the defaults (30 s and 180 s). Prints planning time, exact total distance, late stops,
unplanned orders and checker violations per method, then the urgent re-plan time (one urgent order inserted
mid-day with each route's first half fixed).
"""

import argparse
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luckygas.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from dispatch.services.problem import FixedRoute, Job, Problem, VehicleSpec  # noqa: E402
from dispatch.services.solver import problem_solve, route_schedule  # noqa: E402
from dispatch.services.vrplib_instances import VRPLIB_SCALE, vrplib_problem  # noqa: E402
from dispatch.travel import Point, StraightLineSource  # noqa: E402
from tests.dispatch.checker import check_plan  # noqa: E402

SLOTS = [((8, 20), 0.5), ((8, 12), 0.2), ((12, 17), 0.2), ((17, 20), 0.1)]
DEPOTS = [Point(25.0478, 121.5170, "depot"), Point(25.0120, 121.4650, "depot")]


def taipei_day(seed: int = 14) -> Problem:
    """600 orders over Taipei and New Taipei, slots, 16/20/50 kg cylinders, empties; 25 trucks, 2 depots."""
    rng = random.Random(seed)
    points = list(DEPOTS)
    jobs = []
    for key in range(600):
        lat, lon = rng.uniform(24.96, 25.13), rng.uniform(121.43, 121.61)
        area = f"{int((lat - 24.96) / 0.0425)}-{int((lon - 121.43) / 0.045)}"  # a 4×4 grid of districts
        points.append(Point(lat, lon, area))
        size = rng.choices([16, 20, 50], weights=[2, 7, 1])[0]
        quantity = rng.choices([1, 2, 3], weights=[5, 3, 1])[0]
        empties = quantity if rng.random() < 0.6 else 0
        (start, end), _weight = rng.choices(SLOTS, weights=[w for _, w in SLOTS])[0]
        jobs.append(
            Job(
                key=key,
                location=len(points) - 1,
                delivery=(size * quantity, quantity),
                pickup=(0, empties),
                service_seconds=180 + 60 * (quantity + empties),
                window_start=start * 3600.0,
                window_end=end * 3600.0,
                area=area,
            )
        )
    vehicles = [
        VehicleSpec(key=k, depot_location=k % 2, capacity=(1500, 64), shift_start=7.5 * 3600, shift_end=20 * 3600)
        for k in range(25)
    ]
    source = StraightLineSource(road_factor=1.35, speeds_kmh={"default": 25.0})
    matrices = source.matrices(points)
    return Problem(jobs=jobs, vehicles=vehicles, distances=matrices.distances, durations=matrices.durations)


def by_area_nearest_neighbour(problem: Problem) -> dict[int, list[int]]:
    """Orders sorted by area and split among the drivers until a truck is full; each route nearest-neighbour."""
    jobs = sorted(problem.jobs, key=lambda job: (job.area, job.key))
    routes: dict[int, list[int]] = {vehicle.key: [] for vehicle in problem.vehicles}
    vehicles = iter(problem.vehicles)
    vehicle = next(vehicles)
    load = [0] * len(vehicle.capacity)
    needed = max(
        math.ceil(sum(max(j.delivery[d], j.pickup[d]) for j in jobs) / vehicle.capacity[d])
        for d in range(len(vehicle.capacity))
    )
    share = math.ceil(len(jobs) / max(1, min(len(problem.vehicles), math.ceil(needed * 1.1))))
    for job in jobs:
        need = [max(d, p) for d, p in zip(job.delivery, job.pickup, strict=True)]
        over = any(held + n > c for held, n, c in zip(load, need, vehicle.capacity, strict=True))
        if over or len(routes[vehicle.key]) >= share:
            vehicle = next(vehicles, vehicle)
            load = [0] * len(vehicle.capacity)
        routes[vehicle.key].append(job.key)
        load = [held + n for held, n in zip(load, need, strict=True)]
    by_key = {job.key: job for job in problem.jobs}
    ordered = {}
    for vehicle in problem.vehicles:
        left, here, order = set(routes[vehicle.key]), vehicle.depot_location, []
        while left:
            nearest = min(left, key=lambda k: (problem.distances[here][by_key[k].location], k))
            order.append(nearest)
            left.remove(nearest)
            here = by_key[nearest].location
        ordered[vehicle.key] = order
    return ordered


def late_stops(problem: Problem, routes: dict[int, list[int]]) -> int:
    jobs = {job.key: job for job in problem.jobs}
    vehicles = {vehicle.key: vehicle for vehicle in problem.vehicles}
    late = 0
    for key, keys in routes.items():
        schedule = route_schedule(problem=problem, vehicle=vehicles[key], job_keys=keys)
        late += sum(stop.service_start > jobs[stop.job_key].window_end + 1e-6 for stop in schedule.stops)
    return late


def distance(problem: Problem, routes: dict[int, list[int]]) -> float:
    vehicles = {vehicle.key: vehicle for vehicle in problem.vehicles}
    return sum(route_schedule(problem=problem, vehicle=vehicles[k], job_keys=r).distance for k, r in routes.items())


def compare(name: str, problem: Problem, seconds: float, factor: float, scale: float) -> dict:
    print(f"== {name}: {len(problem.jobs)} orders, {len(problem.vehicles)} vehicles")
    figures = {}
    for label, limit in (("planner", seconds), (f"solver {factor:g}x", seconds * factor)):
        plan = problem_solve(problem=problem, seconds=limit, scale=scale)
        routes = plan.route_keys()
        violations = check_plan(problem=problem, routes=routes, unplanned=plan.unplanned)
        figures[label] = plan.distance
        figures[f"{label} late"] = late_stops(problem, routes)
        figures[f"{label} unplanned"] = len(plan.unplanned)
        figures["violations"] = figures.get("violations", 0) + len(violations)
        print(
            f"  {label:<14} time {plan.seconds:7.1f} s  distance {plan.distance:12.1f}  "
            f"late {late_stops(problem, routes)}  "
            f"unplanned {len(plan.unplanned)}  violations {len(violations)}"
        )
        if label == "planner":
            first = plan
    began = time.perf_counter()
    manual = by_area_nearest_neighbour(problem)
    manual_distance = distance(problem, manual)
    figures["by hand"] = manual_distance
    print(
        f"  {'by hand (NN)':<14} time {time.perf_counter() - began:7.1f} s  distance {manual_distance:12.1f}  "
        f"late {late_stops(problem, manual)}"
    )
    best = figures[f"solver {factor:g}x"]
    print(
        f"  planner vs {factor:g}x: {100 * (figures['planner'] - best) / best:+.2f} %   "
        f"planner vs by hand: {100 * (figures['planner'] - manual_distance) / manual_distance:+.2f} %"
    )
    return {"figures": figures, "plan": first}


def urgent_replan(problem: Problem, plan, scale: float) -> float:
    """Each route's first half is done or in progress; one urgent order arrives; re-plan the rest."""
    fixed = [
        FixedRoute(vehicle_key=r.vehicle_key, job_keys=tuple(s.job_key for s in r.stops[: len(r.stops) // 2]))
        for r in plan.routes
    ]
    last = problem.jobs[-1]
    urgent = Job(
        key=10**6,
        location=last.location,
        delivery=(20, 1),
        pickup=(0, 1),
        service_seconds=240,
        window_start=12 * 3600.0,
        window_end=20 * 3600.0,
        area=last.area,
        is_urgent=True,
    )
    began = time.perf_counter()
    replanned = problem_solve(
        problem=Problem(
            jobs=[*problem.jobs, urgent],
            vehicles=problem.vehicles,
            distances=problem.distances,
            durations=problem.durations,
            fixed=fixed,
            not_before=12 * 3600.0,
        ),
        seconds=3.0,
        scale=scale,
    )
    took = time.perf_counter() - began
    routes = replanned.route_keys()
    violations = check_plan(
        problem=Problem(
            jobs=[*problem.jobs, urgent],
            vehicles=problem.vehicles,
            distances=problem.distances,
            durations=problem.durations,
        ),
        routes=routes,
        unplanned=replanned.unplanned,
        fixed={f.vehicle_key: list(f.job_keys) for f in fixed},
    )
    print(
        f"  urgent re-plan: {took:.1f} s, urgent order planned: {urgent.key not in replanned.unplanned}, "
        f"violations {len(violations)}"
    )
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--factor", type=float, default=6.0)
    parser.add_argument("--only", choices=["taipei", "vrplib"])
    parser.add_argument("--runs", type=int, default=1, help="repeat everything and print the medians at the end")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start")
    results: dict[str, list[dict[str, float]]] = {}
    for run in range(1, args.runs + 1):
        if args.runs > 1:
            print(f"\n#### run {run} of {args.runs} (load {os.getloadavg()[0]:.2f})")
        if args.only != "vrplib":
            day = taipei_day()
            result = compare("Taipei day", day, args.seconds, args.factor, 1.0)
            figures = dict(result["figures"])
            figures["urgent re-plan s"] = urgent_replan(day, result["plan"], 1.0)
            results.setdefault("Taipei day", []).append(figures)
        if args.only != "taipei":
            for path in sorted((ROOT / "bench" / "instances").glob("*.vrp")):
                result = compare(path.stem, vrplib_problem(path=path), args.seconds, args.factor, VRPLIB_SCALE)
                results.setdefault(path.stem, []).append(dict(result["figures"]))
    if args.runs > 1:
        print(f"\n#### medians of {args.runs} runs (load {os.getloadavg()[0]:.2f} at the end)")
        best_label = f"solver {args.factor:g}x"
        for name, runs in results.items():
            median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            vs_best = statistics.median(100 * (r["planner"] - r[best_label]) / r[best_label] for r in runs)
            vs_hand = statistics.median(100 * (r["planner"] - r["by hand"]) / r["by hand"] for r in runs)
            quality = (
                f"  planner late {median['planner late']:g} unplanned {median['planner unplanned']:g}  "
                f"violations (all runs) {sum(r['violations'] for r in runs)}"
            )
            urgent = f"  urgent re-plan {median['urgent re-plan s']:.1f} s" if "urgent re-plan s" in median else ""
            print(
                f"  {name:<16} planner {median['planner']:12.1f}  {best_label} {median[best_label]:12.1f}  "
                f"by hand {median['by hand']:12.1f}  planner vs {args.factor:g}x {vs_best:+.2f} %  "
                f"vs by hand {vs_hand:+.2f} %{quality}{urgent}"
            )


if __name__ == "__main__":
    main()
