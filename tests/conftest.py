"""Shared personas: an office clerk, a manager, an admin and two drivers."""

import pytest
from django.contrib.auth.models import Group, User

from luckygas.delivery import roles
from tests.delivery.factories import DriverFactory, UserFactory


def _user_in(role: str, username: str, *, is_staff: bool = True) -> User:
    user = UserFactory(username=username, is_staff=is_staff)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def office_clerk(db) -> User:
    return _user_in(roles.OFFICE, "clerk")


@pytest.fixture
def manager(db) -> User:
    return _user_in(roles.MANAGER, "boss")


@pytest.fixture
def admin_user(db) -> User:
    return _user_in(roles.ADMIN, "chief")


@pytest.fixture
def driver_a(db):
    return DriverFactory(user=_user_in(roles.DRIVER, "driver-a", is_staff=False), name="陳建宏")


@pytest.fixture
def driver_b(db):
    return DriverFactory(user=_user_in(roles.DRIVER, "driver-b", is_staff=False), name="林志豪")


# Real servers (uvicorn, Chromium) for end-to-end tests; see tests/servers.py.
from tests.servers import asgi_server, browser_context, chromium  # noqa: E402, F401
