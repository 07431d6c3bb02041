"""Google OR-Tools (routing library) vs our planner (PyVRP) on the same problems as bench/plan.py: the synthetic
600-order Taipei day and the VRPLIB instances in bench/instances/, with the same time limit, so the note can say
which solver and why.

OR-Tools is not a dependency of the app: install it in a venv of its own (bench/requirements-ortools.txt) that
also sees the app's packages, e.g.
    python3 -m venv .venv-own && .venv-own/bin/pip install -r bench/requirements-ortools.txt
    echo "$PWD/.venv/lib/python3.11/site-packages" > .venv-own/lib/python3.11/site-packages/app.pth
    .venv-own/bin/python bench/plan_ortools.py [--seconds 30] [--only taipei|vrplib]

The model: arc cost = distance (scaled and rounded: the printed distance is recomputed exactly); a time dimension
whose transits are service + travel rounded up, so what OR-Tools accepts is feasible under exact times; per load
dimension (kg, slots) a "delivered" dimension and a "load" dimension starting at the route's whole delivery, so
full cylinders leave the depot and empties come back aboard (backhaul). Orders may be dropped at a large penalty and
are then reported unplanned. Figures: time, exact distance, late stops, unplanned, independent checker violations.

One run on the 2-core machine (2026-12-05, other jobs running): Taipei day at 30 s, PyVRP 656,839 m vs OR-Tools
901,253 m (+37 %), both 0 late, 0 unplanned, 0 violations. At 5 s: LG-C101-empties 1006.2 vs 1066.6, LG-R201-empties
2299.4 vs 2606.0, X-n101-50-k13 18987.6 vs no OR-Tools solution within the limit (all 100 orders unplanned; its
first-solution heuristic does not find a route set that satisfies the backhaul load model in 5 s).
"""

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import plan as bench
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch.services.problem import Problem, UnplannedReason
from dispatch.services.solver import problem_solve

DROP_PENALTY = 10**9
UNBOUNDED = 10**15  # scaled time units standing in for an open window or shift (VRPLIB's CVRP instances)


def units(value: float, scale: float, *, up: bool) -> int:
    if math.isinf(value):
        return UNBOUNDED if value > 0 else 0
    return min(UNBOUNDED, math.ceil(value * scale) if up else math.floor(value * scale))


def ortools_solve(problem: Problem, seconds: float, scale: float) -> tuple[dict[int, list[int]], set[int], float]:
    """Routes (vehicle key → job keys), dropped job keys, wall time."""
    began = time.perf_counter()
    if problem.fixed:
        raise ValueError("fixed stops are not modelled here")
    depots = sorted({vehicle.depot_location for vehicle in problem.vehicles})
    node_location = depots + [job.location for job in problem.jobs]
    jobs_by_node = {len(depots) + index: job for index, job in enumerate(problem.jobs)}
    depot_node = {location: index for index, location in enumerate(depots)}
    starts = [depot_node[vehicle.depot_location] for vehicle in problem.vehicles]
    manager = pywrapcp.RoutingIndexManager(len(node_location), len(problem.vehicles), starts, starts)
    routing = pywrapcp.RoutingModel(manager)

    def arc_cost(from_index: int, to_index: int) -> int:
        a, b = node_location[manager.IndexToNode(from_index)], node_location[manager.IndexToNode(to_index)]
        return round(problem.distances[a][b] * scale)

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc_cost))

    def travel_time(from_index: int, to_index: int) -> int:
        from_node, to_node = manager.IndexToNode(from_index), manager.IndexToNode(to_index)
        service = jobs_by_node[from_node].service_seconds if from_node in jobs_by_node else 0.0
        return math.ceil((service + problem.durations[node_location[from_node]][node_location[to_node]]) * scale)

    horizon = max(units(vehicle.shift_end, scale, up=True) for vehicle in problem.vehicles)
    routing.AddDimension(routing.RegisterTransitCallback(travel_time), horizon, horizon, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for node, job in jobs_by_node.items():
        index = manager.NodeToIndex(node)
        clock.CumulVar(index).SetRange(units(job.window_start, scale, up=True), units(job.window_end, scale, up=False))
        routing.AddDisjunction([index], DROP_PENALTY)
    for number, vehicle in enumerate(problem.vehicles):
        start, end = units(vehicle.shift_start, scale, up=True), units(vehicle.shift_end, scale, up=False)
        clock.CumulVar(routing.Start(number)).SetRange(start, end)
        clock.CumulVar(routing.End(number)).SetRange(start, end)

    solver = routing.solver()
    for dimension_number in range(len(problem.vehicles[0].capacity)):
        capacities = [vehicle.capacity[dimension_number] for vehicle in problem.vehicles]

        def delivered(from_index: int, dimension_number: int = dimension_number) -> int:
            job = jobs_by_node.get(manager.IndexToNode(from_index))
            return job.delivery[dimension_number] if job else 0

        def load_change(from_index: int, dimension_number: int = dimension_number) -> int:
            job = jobs_by_node.get(manager.IndexToNode(from_index))
            return job.pickup[dimension_number] - job.delivery[dimension_number] if job else 0

        routing.AddDimensionWithVehicleCapacity(
            routing.RegisterUnaryTransitCallback(delivered), 0, capacities, True, f"delivered{dimension_number}"
        )
        routing.AddDimensionWithVehicleCapacity(
            routing.RegisterUnaryTransitCallback(load_change), 0, capacities, False, f"load{dimension_number}"
        )
        total = routing.GetDimensionOrDie(f"delivered{dimension_number}")
        load = routing.GetDimensionOrDie(f"load{dimension_number}")
        for number in range(len(problem.vehicles)):
            # The truck leaves with every full cylinder of its route aboard.
            solver.Add(load.CumulVar(routing.Start(number)) == total.CumulVar(routing.End(number)))

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    parameters.time_limit.FromMilliseconds(max(1, int((seconds - (time.perf_counter() - began)) * 1000)))
    solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return {}, {job.key for job in problem.jobs}, time.perf_counter() - began
    routes: dict[int, list[int]] = {}
    for number, vehicle in enumerate(problem.vehicles):
        index, keys = solution.Value(routing.NextVar(routing.Start(number))), []
        while not routing.IsEnd(index):
            keys.append(jobs_by_node[manager.IndexToNode(index)].key)
            index = solution.Value(routing.NextVar(index))
        if keys:
            routes[vehicle.key] = keys
    served = {key for keys in routes.values() for key in keys}
    return routes, {job.key for job in problem.jobs} - served, time.perf_counter() - began


def compare(name: str, problem: Problem, seconds: float, scale: float) -> None:
    print(f"== {name}: {len(problem.jobs)} orders, {len(problem.vehicles)} vehicles, {seconds:g} s each")
    plan = problem_solve(problem=problem, seconds=seconds, scale=scale)
    pyvrp_routes = plan.route_keys()
    rows = [("PyVRP (planner)", pyvrp_routes, plan.unplanned, plan.seconds)]
    routes, dropped, elapsed = ortools_solve(problem, seconds, scale)
    rows.append(("OR-Tools GLS", routes, dict.fromkeys(dropped, UnplannedReason.NOT_ROUTED), elapsed))
    for label, keys, unplanned, took in rows:
        violations = bench.check_plan(problem=problem, routes=keys, unplanned=unplanned)
        print(
            f"  {label:<16} time {took:7.1f} s  distance {bench.distance(problem, keys):12.1f}  "
            f"late {bench.late_stops(problem, keys)}  unplanned {len(unplanned)}  violations {len(violations)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--only", choices=["taipei", "vrplib"])
    args = parser.parse_args()
    if args.only != "vrplib":
        compare("Taipei day", bench.taipei_day(), args.seconds, 1.0)
    if args.only != "taipei":
        for path in sorted((bench.ROOT / "bench" / "instances").glob("*.vrp")):
            compare(path.stem, bench.vrplib_problem(path=path), args.seconds, bench.VRPLIB_SCALE)


if __name__ == "__main__":
    main()
