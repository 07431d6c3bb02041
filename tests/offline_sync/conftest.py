import pytest
from django.contrib.auth.models import Group

from luckygas.delivery import roles
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


@pytest.fixture
def role_groups(transactional_db):
    """Transactional tests run after others flushed the database: the role groups must exist."""
    for role in roles.ALL_ROLES:
        Group.objects.get_or_create(name=role)
