"""Schemathesis against /api/schema/: the driver API never answers 500 and matches its schema.

The number of examples per operation is bounded so the suite stays fast.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.offline_sync.factories import phone_for, started_route


@pytest.fixture(autouse=True)
def _keep_test_connection(keep_test_connection: None) -> None:
    """Requests made outside Django's test client keep the test's connection and transaction."""


def load_driver_api_schema():
    from luckygas.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=r"^/api/v1/driver/")


schema = load_driver_api_schema()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def device_headers(driver_a):
    started_route(driver_a, stops=2)
    phone = phone_for(driver_a)
    return {"Authorization": f"Device {phone.token}"}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_driver_api_never_fails_and_matches_its_schema(case, db, device_headers):
    case.headers = {**(case.headers or {}), **device_headers}
    case.call_and_validate(
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
