"""Travel times and distances between points, from a pluggable source.

`travel_source()` picks OSRM's `/table` service when `ROUTING_OSRM_URL` is set, else straight-line distance
× `DISPATCH_ROAD_FACTOR` at the area's average speed (`DISPATCH_SPEED_KMH`), which works offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import httpx
from django.conf import settings

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float
    area: str = ""


@dataclass(frozen=True)
class Matrices:
    distances: list[list[float]]  # metres
    durations: list[list[float]]  # seconds


class TravelError(Exception):
    """The travel-time source did not answer with a usable matrix."""


class TravelSource(Protocol):
    def matrices(self, points: list[Point]) -> Matrices: ...


def haversine_m(a: Point, b: Point) -> float:
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    dphi = phi2 - phi1
    dlambda = math.radians(b.longitude - a.longitude)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def parse_speeds(entries: list[str]) -> dict[str, float]:
    speeds = {}
    for entry in entries:
        area, _, value = entry.partition("=")
        speeds[area.strip()] = float(value)
    return speeds


class StraightLineSource:
    """Road distance ≈ straight line × road factor; time at the destination area's average speed."""

    def __init__(self, *, road_factor: float, speeds_kmh: dict[str, float]) -> None:
        self.road_factor = road_factor
        self.speeds_kmh = speeds_kmh

    def _speed_ms(self, area: str) -> float:
        kmh = self.speeds_kmh.get(area, self.speeds_kmh.get("default", 25.0))
        return kmh * 1000 / 3600

    def matrices(self, points: list[Point]) -> Matrices:
        distances = [[haversine_m(a, b) * self.road_factor for b in points] for a in points]
        durations = [
            [distances[i][j] / self._speed_ms(points[j].area) for j in range(len(points))] for i in range(len(points))
        ]
        return Matrices(distances=distances, durations=durations)


class OsrmSource:
    """OSRM's table service: `GET /table/v1/driving/{lon,lat;…}?annotations=duration,distance`."""

    def __init__(self, *, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def matrices(self, points: list[Point]) -> Matrices:
        if not points:
            return Matrices(distances=[], durations=[])
        coordinates = ";".join(f"{p.longitude:.6f},{p.latitude:.6f}" for p in points)
        try:
            response = httpx.get(
                f"{self.base_url}/table/v1/driving/{coordinates}",
                params={"annotations": "duration,distance"},
                timeout=self.timeout,
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise TravelError(f"OSRM: {error}") from error
        if response.status_code != 200 or body.get("code") != "Ok":
            raise TravelError(f"OSRM: {body.get('code', response.status_code)} {body.get('message', '')}".strip())
        durations, distances = body.get("durations"), body.get("distances")
        if durations is None or distances is None or len(durations) != len(points):
            raise TravelError("OSRM: the table lacks durations or distances")
        if any(value is None for row in durations + distances for value in row):
            raise TravelError("OSRM: some points cannot be reached by road")
        return Matrices(distances=[[float(v) for v in row] for row in distances], durations=durations)


def travel_source() -> TravelSource:
    if settings.ROUTING_OSRM_URL:
        return OsrmSource(base_url=settings.ROUTING_OSRM_URL)
    return StraightLineSource(
        road_factor=settings.DISPATCH_ROAD_FACTOR, speeds_kmh=parse_speeds(settings.DISPATCH_SPEED_KMH)
    )
