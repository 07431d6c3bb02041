import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dispatch.services.vrplib_instances import vrplib_problem
from tests.dispatch.checker import check_plan, exact_distance

INSTANCES = Path(__file__).resolve().parents[2] / "bench" / "instances"


@pytest.mark.parametrize("name", sorted(p.name for p in INSTANCES.glob("*.vrp")))
def test_plan_routes_writes_feasible_routes_of_client_indices_and_the_exact_cost(tmp_path, name):
    out = tmp_path / "solution.json"
    call_command("plan_routes", vrplib=INSTANCES / name, seconds=2, out=out, stdout=None)
    solution = json.loads(out.read_text())
    problem = vrplib_problem(path=INSTANCES / name)
    routes = dict(enumerate(solution["routes"]))
    assert all(0 not in route for route in solution["routes"])
    assert check_plan(problem=problem, routes=routes, unplanned=dict.fromkeys(solution["unplanned"])) == []
    assert solution["unplanned"] == []
    assert solution["cost"] == pytest.approx(exact_distance(problem=problem, routes=routes), rel=1e-12)


def test_plan_routes_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="--vrplib"):
        call_command("plan_routes", vrplib=tmp_path / "nope.vrp", seconds=1, out=tmp_path / "o.json")
