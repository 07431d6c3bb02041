"""Fixtures for the fuzz tests: a world with a started route, a client per role, row counts."""

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.offline_sync.factories import phone_for, started_route

PROJECT_APPS = ("delivery", "offline_sync", "sms", "banking", "dashboard", "auth", "authtoken")

# Bounded so the whole folder runs in a few minutes on a slow shared machine.
FUZZ = hypothesis_settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture(autouse=True)
def _keep_test_connection(keep_test_connection: None) -> None:
    """Requests made outside Django's test client keep the test's connection and transaction."""


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def row_counts() -> dict[str, int]:
    """Rows of every project table, in one query."""
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label in PROJECT_APPS and model._meta.managed and not model._meta.proxy
        }
    )
    query = " UNION ALL ".join(f"SELECT '{table}', count(*) FROM \"{table}\"" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query)
        return dict(cursor.fetchall())


@dataclass
class World:
    anonymous: Client
    driver: Client
    office: Client
    manager: Client
    admin: Client
    device_token: str
    route: Any

    def client_for(self, role: str) -> Client:
        return getattr(self, role)


def _client(user: Any = None, **headers: str) -> Client:
    client = Client(raise_request_exception=False, **headers)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(db, driver_a, office_clerk, manager, admin_user) -> World:
    route = started_route(driver_a, stops=2)
    phone = phone_for(driver_a)
    return World(
        anonymous=_client(),
        driver=_client(HTTP_AUTHORIZATION=f"Device {phone.token}"),
        office=_client(office_clerk),
        manager=_client(manager),
        admin=_client(admin_user),
        device_token=phone.token,
        route=route,
    )


def sample_path(template: str) -> str:
    """A concrete URL for a schema path template (unknown ids: the endpoint must answer 404, not 500)."""
    values = {"job_id": str(uuid.uuid4()), "media_id": str(uuid.uuid4()), "name": "orders_today"}
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template
