"""VRPLIB instances (read with the `vrplib` package) as planning problems, numbered as that package numbers nodes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import vrplib

from dispatch.services.problem import Job, Plan, Problem, VehicleSpec

# Euclidean distances are fractional; times are scaled this much before PyVRP rounds them conservatively.
VRPLIB_SCALE = 1000.0


def _sector(point: np.ndarray, depot: np.ndarray, sectors: int = 8) -> str:
    """VRPLIB has no districts: an eighth of the plane around the depot stands for one."""
    angle = math.atan2(point[1] - depot[1], point[0] - depot[0]) % (2 * math.pi)
    return f"sector-{int(angle / (2 * math.pi / sectors)) % sectors}"


def vrplib_problem(*, path: Path) -> Problem:
    """Jobs keyed by their VRPLIB node index (depot 0, clients 1…n); travel time = exact Euclidean distance."""
    instance = vrplib.read_instance(str(path), compute_edge_weights=False)
    coords = np.asarray(instance["node_coord"], dtype=float)
    matrix = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(axis=2))
    count = len(coords)
    depots = [int(d) for d in np.atleast_1d(instance.get("depot", [0]))]
    demand = np.atleast_1d(instance.get("demand", np.zeros(count))).astype(int)
    backhaul = np.atleast_1d(instance.get("backhaul", np.zeros(count))).astype(int)
    service = np.atleast_1d(instance.get("service_time", np.zeros(count))).astype(float)
    if service.size == 1:
        service = np.full(count, float(service[0]))
    windows = instance.get("time_window")
    windows = np.asarray(windows, dtype=float) if windows is not None else np.tile([0.0, math.inf], (count, 1))
    capacity = int(np.atleast_1d(instance["capacity"])[0])
    vehicles = int(instance.get("vehicles", count - len(depots)))
    jobs = [
        Job(
            key=node,
            location=node,
            delivery=(int(demand[node]),),
            pickup=(int(backhaul[node]),),
            service_seconds=float(service[node]),
            window_start=float(windows[node][0]),
            window_end=float(windows[node][1]),
            area=_sector(coords[node], coords[depots[0]]),
        )
        for node in range(count)
        if node not in depots
    ]
    specs = [
        VehicleSpec(
            key=index,
            depot_location=depots[index % len(depots)],
            capacity=(capacity,),
            shift_start=float(windows[depots[index % len(depots)]][0]),
            shift_end=float(windows[depots[index % len(depots)]][1]),
        )
        for index in range(vehicles)
    ]
    return Problem(jobs=jobs, vehicles=specs, distances=matrix.tolist(), durations=matrix.tolist())


def plan_as_vrplib_solution(*, plan: Plan) -> dict:
    """`{"routes": [[client indices]], "cost": exact total distance, "unplanned": [...]}`."""
    return {
        "routes": [[stop.job_key for stop in route.stops] for route in plan.routes if route.stops],
        "cost": plan.distance,
        "unplanned": sorted(plan.unplanned),
    }
