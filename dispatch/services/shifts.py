"""Vehicle shifts: a day's vehicles, copied from one day to another by the dispatcher."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction

from dispatch.models import VehicleShift


def shifts_copy_to_date(*, shifts: list[VehicleShift], date: datetime.date) -> tuple[int, int]:
    """Copy each shift to `date` (same depot, vehicle, driver, hours, capacities); returns (copied, skipped).

    A shift whose driver or vehicle already works on `date` is skipped, never doubled.
    """
    copied = skipped = 0
    for shift in sorted(shifts, key=lambda item: item.pk):
        try:
            with transaction.atomic():
                VehicleShift.objects.create(
                    date=date,
                    depot_id=shift.depot_id,
                    vehicle_id=shift.vehicle_id,
                    driver_id=shift.driver_id,
                    starts_at=shift.starts_at,
                    ends_at=shift.ends_at,
                    capacity_kg=shift.capacity_kg,
                    capacity_slots=shift.capacity_slots,
                )
        except IntegrityError:  # the unique constraints: this driver or vehicle already has that day
            skipped += 1
        else:
            copied += 1
    return copied, skipped
