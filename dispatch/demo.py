"""Demo data for planning: a Taipei depot, the arrival SMS template, a shift per active driver with a vehicle.

Called by `seed_demo` (through `seed_demo_data`) for today and tomorrow; safe to run again for the same date.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dispatch.models import Depot, VehicleShift
from dispatch.services.publish import ARRIVAL_SMS_TEMPLATE
from luckygas.delivery.models import Driver
from sms.models import Template, TemplateVariant


def demo_depot_and_shifts(*, date: datetime.date) -> tuple[Depot, list[VehicleShift]]:
    depot, _created = Depot.objects.get_or_create(
        name="台北總倉",
        defaults={
            "latitude": Decimal("25.047800"),
            "longitude": Decimal("121.517000"),
            "opens_at": datetime.time(7),
            "closes_at": datetime.time(20),
        },
    )
    template, _created = Template.objects.get_or_create(
        name=ARRIVAL_SMS_TEMPLATE, defaults={"description": "派車發布後的預計送達時段"}
    )
    TemplateVariant.objects.get_or_create(
        template=template, label="A", defaults={"body": "您的瓦斯預計 {arrival_start}–{arrival_end} 送達"}
    )
    shifts = []
    for driver in Driver.objects.filter(is_active=True, default_vehicle__isnull=False).order_by("pk"):
        shift, _created = VehicleShift.objects.get_or_create(
            date=date,
            driver=driver,
            defaults={
                "depot": depot,
                "vehicle": driver.default_vehicle,
                "starts_at": datetime.time(8),
                "ends_at": datetime.time(18),
                "capacity_kg": 1500,
                "capacity_slots": 64,
            },
        )
        shifts.append(shift)
    return depot, shifts


def seed_demo_data(*, password: str, stdout: Any) -> None:
    today = timezone.localdate()
    for date in (today, today + datetime.timedelta(days=1)):
        depot, shifts = demo_depot_and_shifts(date=date)
        stdout.write(f"  dispatch: {len(shifts)} vehicle shifts at {depot} on {date}")
