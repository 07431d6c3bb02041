"""GPS points from the phones, deduplicated per device and point number."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from luckygas.delivery.models import RouteStop
from offline_sync.models import (
    DriverDevice,
    LocationPoint,
)

# --- Locations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PointInput:
    seq: int
    latitude: Any
    longitude: Any
    recorded_at: datetime.datetime
    accuracy_m: int | None = None
    stop_id: int | None = None


def location_points_append(*, device: DriverDevice, points: Sequence[PointInput]) -> tuple[int, int]:
    """Append GPS points, ignoring ones the device sent before. Returns (stored, duplicates).

    Every point's stop must be one of the device's driver's stops.
    """
    stop_ids = {point.stop_id for point in points if point.stop_id is not None}
    own = set(RouteStop.objects.filter(pk__in=stop_ids, route__driver_id=device.driver_id).values_list("pk", flat=True))
    unknown = sorted(stop_ids - own)
    if unknown:
        raise ValidationError({"points": _("Unknown stops: %(stops)s") % {"stops": ", ".join(map(str, unknown))}})
    seqs = sorted({point.seq for point in points})
    seen = set(LocationPoint.objects.filter(device=device, point_seq__in=seqs).values_list("point_seq", flat=True))
    fresh: dict[int, PointInput] = {}
    for point in points:
        if point.seq not in seen:
            fresh.setdefault(point.seq, point)
    LocationPoint.objects.bulk_create(
        [
            LocationPoint(
                device=device,
                driver_id=device.driver_id,
                point_seq=point.seq,
                latitude=point.latitude,
                longitude=point.longitude,
                accuracy_m=point.accuracy_m,
                recorded_at=point.recorded_at,
                stop_id=point.stop_id,
            )
            for point in fresh.values()
        ],
        # A concurrent resend of the same points loses the race harmlessly.
        ignore_conflicts=True,
    )
    return len(fresh), len(points) - len(fresh)
