"""Every API answers errors in one shape: {"code", "detail", "errors"?}, whatever raised them."""

import pytest
import redis
from rest_framework.test import APIClient

from dashboard import live
from tests.offline_sync.factories import phone_for
from tests.servers import free_port

pytestmark = pytest.mark.django_db


def _shape(body: dict) -> tuple:
    assert set(body) <= {"code", "detail", "errors", "expected_seq"}, body
    assert isinstance(body["code"], str)
    assert body["code"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    for field, messages in body.get("errors", {}).items():
        assert isinstance(field, str)
        assert messages
        assert all(isinstance(message, str) for message in messages)
    return body["code"], sorted(body.get("errors", {}))


def test_every_api_error_has_the_one_shape(manager, driver_a):
    office = APIClient()
    office.force_authenticate(manager)
    phone = phone_for(driver_a).client
    cases = {
        # a service's validation (Django ValidationError through a view)
        "dashboard dates": (
            office.get("/api/v1/dashboard/metrics/customers/", {"start": "2026-11-05", "end": "2026-11-01"}),
            400,
        ),
        # a serializer's validation
        "dashboard bad date": (office.get("/api/v1/dashboard/rollups/daily/", {"start": "yesterday"}), 400),
        "routes bad date": (office.get("/api/v1/routes/", {"date": "soon"}), 400),
        # DRF's own refusals
        "not logged in": (APIClient().get("/api/v1/dashboard/snapshot/"), 401),
        "no such metric": (office.get("/api/v1/dashboard/metrics/nothing/"), 404),
        "wrong method": (office.delete("/api/v1/routes/"), 405),
        "not json": (phone.post("/api/v1/driver/sync", b"{", content_type="application/json"), 400),
        # a domain error a service raised, mapped to its status by the view
        "wrong password": (
            APIClient().post(
                "/api/v1/driver/devices/login",
                {
                    "username": driver_a.user.username,
                    "password": "wrong",
                    "device_id": "0d7c6b7e-3f4a-4c59-8f1e-2a6b9c0d1e2f",
                },
                format="json",
            ),
            401,
        ),
        "media not declared": (
            phone.put("/api/v1/driver/media/0d7c6b7e-3f4a-4c59-8f1e-2a6b9c0d1e2f", b"x", content_type="image/jpeg"),
            404,
        ),
    }
    for name, (response, status) in cases.items():
        assert response.status_code in {status, 403} if name == "not logged in" else response.status_code == status, (
            name
        )
        _shape(response.json())


def test_an_api_answers_503_in_the_one_shape_while_redis_is_unreachable(manager, monkeypatch):
    # given: Redis restarting (found by the soak: the dashboard's snapshot answered 500 while it was, as the live
    # sequence numbers are read from it); nothing listens where the live dashboard's client connects
    closed = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", decode_responses=True)
    monkeypatch.setattr(live, "_client", closed)
    office = APIClient()
    office.force_authenticate(manager)
    # when
    response = office.get("/api/v1/dashboard/snapshot/")
    # then the page is told to try again, as when the database is unreachable
    assert response.status_code == 503
    assert _shape(response.json()) == ("unavailable", [])
    assert response["Retry-After"] == "5"
