import datetime
from decimal import Decimal

import pytest

from dispatch.models import Depot, VehicleShift
from luckygas.delivery import services as delivery_services
from luckygas.delivery.models import DeliverySlot
from tests.delivery.factories import CustomerFactory, OrderFactory

# Around Taipei Main Station; each customer a few hundred metres further east.
DEPOT_AT = (Decimal("25.047800"), Decimal("121.517000"))


@pytest.fixture
def depot(db):
    return Depot.objects.create(
        name="台北總倉",
        latitude=DEPOT_AT[0],
        longitude=DEPOT_AT[1],
        opens_at=datetime.time(7),
        closes_at=datetime.time(20),
    )


@pytest.fixture
def plan_date():
    return datetime.date(2026, 12, 7)  # a Monday


def shift_for(driver, depot, date, *, kg=400, slots=10):
    return VehicleShift.objects.create(
        date=date,
        depot=depot,
        vehicle=driver.default_vehicle,
        driver=driver,
        starts_at=datetime.time(8),
        ends_at=datetime.time(18),
        capacity_kg=kg,
        capacity_slots=slots,
    )


def confirmed_order(actor, date, *, east_m=500, north_m=0, slot=DeliverySlot.ALL_DAY, empties=0, **customer):
    lat = DEPOT_AT[0] + Decimal(north_m) / Decimal(111_000)
    lon = DEPOT_AT[1] + Decimal(east_m) / Decimal(100_700)
    fields = {"latitude": lat.quantize(Decimal("0.000001")), "longitude": lon.quantize(Decimal("0.000001"))}
    fields.update(customer)
    order = OrderFactory(customer=CustomerFactory(**fields), delivery_date=date, slot=slot, empties_to_collect=empties)
    delivery_services.order_confirm(order=order, actor=actor)
    order.refresh_from_db()
    return order
