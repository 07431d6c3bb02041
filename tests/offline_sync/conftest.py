import pytest

from tests.offline_sync.factories import phone_for, started_route


@pytest.fixture
def route_a(driver_a):
    return started_route(driver_a, stops=3)


@pytest.fixture
def phone_a(driver_a):
    return phone_for(driver_a, name="Pixel 7")


@pytest.fixture
def phone_b(driver_b):
    return phone_for(driver_b, name="iPhone 13")
