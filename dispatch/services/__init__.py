"""Dispatch planning services; the solver itself is `dispatch.services.solver.problem_solve`."""

from dispatch.services.days import day_build, slot_windows
from dispatch.services.plans import (
    Violation,
    plan_check,
    plan_create,
    plan_run,
    plan_stop_lock,
    plan_stop_move,
    plan_stop_unplan,
)
from dispatch.services.publish import plan_publish

__all__ = [
    "Violation",
    "day_build",
    "plan_check",
    "plan_create",
    "plan_publish",
    "plan_run",
    "plan_stop_lock",
    "plan_stop_move",
    "plan_stop_unplan",
    "slot_windows",
]
