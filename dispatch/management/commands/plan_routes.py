"""Solve a VRPLIB instance through the planner's solver path and write the routes and exact cost as JSON."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dispatch.services.solver import problem_solve
from dispatch.services.vrplib_instances import VRPLIB_SCALE, plan_as_vrplib_solution, vrplib_problem


class Command(BaseCommand):
    help = "Solve a VRPLIB instance (benchmark interface): routes of client indices and exact total distance."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--vrplib", type=Path, required=True, help="VRPLIB instance file")
        parser.add_argument("--seconds", type=float, required=True, help="solver time limit in seconds")
        parser.add_argument("--out", type=Path, required=True, help="where to write the JSON solution")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["vrplib"]
        seconds: float = options["seconds"]
        if not path.is_file():
            raise CommandError(f"--vrplib: no such file {path}")
        if seconds <= 0:
            raise CommandError("--seconds must be positive")
        try:
            problem = vrplib_problem(path=path)
        except (ValueError, KeyError, IndexError) as error:
            raise CommandError(f"--vrplib: cannot read {path}: {error}") from error
        plan = problem_solve(problem=problem, seconds=seconds, scale=VRPLIB_SCALE, seed=options["seed"])
        solution = plan_as_vrplib_solution(plan=plan)
        options["out"].write_text(json.dumps(solution))
        self.stdout.write(
            f"{len(solution['routes'])} routes, cost {solution['cost']:.3f}, "
            f"{len(solution['unplanned'])} unplanned, {plan.seconds:.1f} s"
        )
