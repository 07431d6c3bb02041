import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from luckygas.delivery.models import Customer, Cylinder, Driver, Invoice, Order, OrderLine, Route, RouteStop

pytestmark = pytest.mark.django_db

MODELS = (User, Driver, Customer, Cylinder, Order, OrderLine, Route, RouteStop, Invoice)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", customers=5, orders=10)
    assert not Customer.objects.exists()


def test_seed_demo_twice_gives_the_same_counts(settings):
    settings.DEBUG = True
    call_command("seed_demo", customers=60, orders=400, verbosity=0)
    first = _counts()

    call_command("seed_demo", customers=60, orders=400, verbosity=0)

    assert _counts() == first
    assert first["Customer"] == 60
    assert first["Order"] == 400
    assert first["OrderLine"] == 400
    assert first["RouteStop"] > 0
    assert first["Invoice"] > 0
    assert {"admin", "manager", "office", "driver1", "driver5"} <= set(User.objects.values_list("username", flat=True))


def test_demo_users_log_in_with_the_given_password(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", customers=5, orders=10, password="s3cret-demo", verbosity=0)
    assert client.login(username="office", password="s3cret-demo")
    assert client.login(username="driver1", password="s3cret-demo")


def test_demo_data_is_valid_for_its_own_model_validation(settings):
    settings.DEBUG = True
    call_command("seed_demo", customers=30, orders=50, verbosity=0)
    for customer in Customer.objects.all():
        customer.full_clean()


def test_demo_orders_were_taken_the_day_before_delivery(settings):
    settings.DEBUG = True
    call_command("seed_demo", customers=10, orders=40, verbosity=0)
    for order in Order.objects.all():
        assert order.created_at.astimezone(settings_tz()).date() == order.delivery_date - datetime.timedelta(days=1)


def settings_tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo("Asia/Taipei")


def test_seed_demo_pins_each_customer_in_its_taipei_district(settings):
    import random

    from luckygas.delivery import demo

    settings.DEBUG = True
    call_command("seed_demo", customers=40, orders=10, verbosity=0)
    customers = list(Customer.objects.filter(code__regex=r"^C\d{6}$"))
    assert len(customers) == 40
    assert len({c.district for c in customers}) >= 8
    for customer in customers:
        latitude, longitude = demo.DISTRICT_CENTRES[customer.district]
        assert abs(float(customer.latitude) - latitude) <= demo.DISTRICT_SPREAD + 1e-6, customer.code
        assert abs(float(customer.longitude) - longitude) <= demo.DISTRICT_SPREAD + 1e-6, customer.code
    assert demo.coordinates(random.Random(7), "大安區") == demo.coordinates(random.Random(7), "大安區")
