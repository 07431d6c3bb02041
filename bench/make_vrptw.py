"""Write this project's own VRPTW instances (VRPLIB format, PyVRP's dialect) into bench/instances/.

Usage: .venv/bin/python bench/make_vrptw.py
Deterministic (fixed seeds): a clustered 100-client and a random 200-client instance with time windows,
service times, deliveries and empties to bring back (BACKHAUL_SECTION), as a gas truck's day.
"""

import math
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "instances"


def write(name: str, clients: int, clustered: bool, vehicles: int, capacity: int, seed: int) -> None:
    rng = random.Random(seed)
    horizon = 1000
    depot = (50, 50)
    centres = [(rng.uniform(10, 90), rng.uniform(10, 90)) for _ in range(6)]
    nodes = [depot]
    for _ in range(clients):
        if clustered:
            cx, cy = rng.choice(centres)
            nodes.append((round(min(100, max(0, rng.gauss(cx, 6))), 1), round(min(100, max(0, rng.gauss(cy, 6))), 1)))
        else:
            nodes.append((round(rng.uniform(0, 100), 1), round(rng.uniform(0, 100), 1)))
    demand = [0] + [rng.choice([1, 1, 2, 2, 3, 4]) * 5 for _ in range(clients)]
    empties = [0] + [d if rng.random() < 0.6 else 0 for d in demand[1:]]
    service = [0] + [10] * clients
    windows = [(0, horizon)]
    for index in range(1, clients + 1):
        reach = math.dist(depot, nodes[index])
        width = rng.choice([120, 240, 480, horizon])
        start = rng.uniform(reach, max(reach, horizon - reach - width - service[index]))
        windows.append((int(start), int(min(horizon - reach - service[index], start + width))))
    lines = [
        f"NAME: {name}",
        "COMMENT: LuckyGas own VRPTW with empties to collect (bench/make_vrptw.py)",
        "TYPE: VRPTW",
        f"DIMENSION: {clients + 1}",
        f"VEHICLES: {vehicles}",
        f"CAPACITY: {capacity}",
        "EDGE_WEIGHT_TYPE: EUC_2D",
        "NODE_COORD_SECTION",
        *(f"{i + 1}\t{x}\t{y}" for i, (x, y) in enumerate(nodes)),
        "DEMAND_SECTION",
        *(f"{i + 1}\t{d}" for i, d in enumerate(demand)),
        "BACKHAUL_SECTION",
        *(f"{i + 1}\t{d}" for i, d in enumerate(empties)),
        "SERVICE_TIME_SECTION",
        *(f"{i + 1}\t{s}" for i, s in enumerate(service)),
        "TIME_WINDOW_SECTION",
        *(f"{i + 1}\t{a}\t{b}" for i, (a, b) in enumerate(windows)),
        "DEPOT_SECTION",
        "1",
        "-1",
        "EOF",
    ]
    (OUT / f"{name}.vrp").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    write("LG-C101-empties", 100, True, 25, 100, 101)
    write("LG-R201-empties", 200, False, 40, 120, 201)
