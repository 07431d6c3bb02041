"""The planning problem and its answer as plain data, independent of Django and of the solver.

Times are seconds from midnight of the plan's day (floats: exact, unrounded); distances are metres
(or the instance's unit for VRPLIB). Loads have two dimensions: kilograms and cylinder slots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class UnplannedReason(StrEnum):
    NO_COORDINATES = "no_coordinates"
    OUTSIDE_SHIFTS = "outside_shifts"
    OVER_CAPACITY = "over_capacity"
    CLOSED_DAY = "closed_day"
    NOT_ROUTED = "not_routed"
    REMOVED_BY_DISPATCHER = "removed_by_dispatcher"


@dataclass(frozen=True)
class Job:
    """One order to deliver: `delivery` full cylinders out, `pickup` empties back, per dimension."""

    key: int
    location: int
    delivery: tuple[int, ...]
    pickup: tuple[int, ...]
    service_seconds: float
    window_start: float
    window_end: float
    area: str = ""
    is_urgent: bool = False


@dataclass(frozen=True)
class VehicleSpec:
    key: int
    depot_location: int
    capacity: tuple[int, ...]
    shift_start: float
    shift_end: float


@dataclass(frozen=True)
class FixedRoute:
    """A vehicle's stops that must not move.

    `job_keys` (done or in progress) stay first on the vehicle, in this order, with nothing before them.
    `locked_keys` (locked by the dispatcher) follow them in this order, each keeping its place among them;
    new stops may go before, between and after locked stops.
    """

    vehicle_key: int
    job_keys: tuple[int, ...] = ()
    locked_keys: tuple[int, ...] = ()


@dataclass
class Problem:
    """`distances[i][j]` and `durations[i][j]` between location indices (depots and jobs share them)."""

    jobs: list[Job]
    vehicles: list[VehicleSpec]
    distances: list[list[float]]
    durations: list[list[float]]
    fixed: list[FixedRoute] = field(default_factory=list)
    not_before: float = 0.0


@dataclass(frozen=True)
class PlannedStop:
    job_key: int
    arrival: float
    service_start: float


@dataclass
class PlannedRoute:
    vehicle_key: int
    stops: list[PlannedStop]
    distance: float
    start: float
    end: float


@dataclass
class Plan:
    routes: list[PlannedRoute]
    unplanned: dict[int, UnplannedReason]
    distance: float
    seconds: float

    def route_keys(self) -> dict[int, list[int]]:
        return {route.vehicle_key: [stop.job_key for stop in route.stops] for route in self.routes}
