"""`seed_demo` gives the planning page something to plan: a depot and today's and tomorrow's shifts."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from dispatch.models import Depot, VehicleShift
from luckygas.delivery.models import Customer, Driver

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_a_taipei_depot_and_a_shift_per_driver_today_and_tomorrow(settings):
    settings.DEBUG = True
    call_command("seed_demo", customers=10, orders=20, verbosity=0)
    call_command("seed_demo", customers=10, orders=20, verbosity=0)  # again: nothing doubled

    depot = Depot.objects.get()
    assert (float(depot.latitude), float(depot.longitude)) == (25.0478, 121.517)
    today = timezone.localdate()
    drivers = Driver.objects.filter(is_active=True, default_vehicle__isnull=False).count()
    assert drivers > 0
    for date in (today, today + datetime.timedelta(days=1)):
        shifts = VehicleShift.objects.filter(date=date, depot=depot)
        assert shifts.count() == drivers
        for shift in shifts:
            shift.full_clean()
    assert VehicleShift.objects.count() == 2 * drivers
    assert not Customer.objects.filter(latitude__isnull=True).exists()
