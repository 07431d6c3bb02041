"""The BI API (token auth, cursor pagination, CSV, OpenAPI) and the dashboard page's access rules."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dashboard.live import current_seq
from dashboard.metrics import MANAGER
from dashboard.models import DailyRollup


@pytest.fixture
def rollups(db):
    DailyRollup.objects.bulk_create(
        DailyRollup(day=datetime.date(2026, 11, day), orders_created=day, orders_delivered=day, revenue=day * 950)
        for day in range(1, 6)
    )


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_daily_rollups_page_with_a_cursor(manager, rollups):
    client = token_client(manager)
    first = client.get("/api/v1/dashboard/rollups/daily/", {"page_size": 2, "start": "2026-11-02"}).json()
    assert [row["day"] for row in first["results"]] == ["2026-11-02", "2026-11-03"]
    second = client.get(first["next"]).json()
    assert [row["day"] for row in second["results"]] == ["2026-11-04", "2026-11-05"]
    assert second["next"] is None


def test_daily_rollups_as_csv(manager, rollups):
    response = token_client(manager).get("/api/v1/dashboard/rollups/daily/", {"format": "csv", "page_size": 2})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "day,orders_created,orders_delivered,orders_failed,orders_cancelled,revenue",
        "2026-11-01,1,1,0,0,950",
        "2026-11-02,2,2,0,0,1900",
    ]
    assert 'rel="next"' in response["Link"]


def test_a_bad_date_is_a_400_naming_the_field(manager):
    client = token_client(manager)
    bad_date = client.get("/api/v1/dashboard/rollups/daily/", {"start": "yesterday"})
    assert (bad_date.status_code, bad_date.json()["code"], list(bad_date.json()["errors"])) == (
        400,
        "invalid",
        ["start"],
    )
    response = client.get("/api/v1/dashboard/metrics/customers/", {"start": "2026-11-05", "end": "2026-11-01"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["start"]


def test_a_metric_as_json_and_csv(manager, rollups):
    client = token_client(manager)
    body = client.get("/api/v1/dashboard/metrics/kpis/", {"end": "2026-11-05"}).json()
    assert (body["metric"], body["data"]["orders_today"], body["data"]["orders_yesterday"]) == ("kpis", 5, 4)
    assert body["seq"] == current_seq(MANAGER, "kpis")  # where the next push counts from (no push yet)
    csv_text = client.get("/api/v1/dashboard/metrics/kpis/", {"end": "2026-11-05", "format": "csv"}).content
    assert "data.revenue_today,4750" in csv_text.decode("utf-8-sig").splitlines()


def test_roles_decide_what_the_api_shows(manager, admin_user, driver_a, office_clerk, db):
    assert token_client(manager).get("/api/v1/dashboard/metrics/finance/").status_code == 404
    assert token_client(admin_user).get("/api/v1/dashboard/metrics/finance/").status_code == 200
    manager_snapshot = token_client(manager).get("/api/v1/dashboard/snapshot/").json()
    assert set(manager_snapshot["metrics"]) == {"kpis", "sms_today", "pipeline", "drivers", "customers"}
    # The SMS app is installed: a manager sees today's counts, never providers' costs or balances.
    assert manager_snapshot["metrics"]["sms_today"]["data"] == {
        "configured": True,
        "sent": 0,
        "delivered": 0,
        "failed": 0,
        "pending": 0,
    }
    for user in (driver_a.user, office_clerk):
        assert token_client(user).get("/api/v1/dashboard/snapshot/").status_code == 403
    assert APIClient().get("/api/v1/dashboard/snapshot/").status_code in (401, 403)


def test_the_bi_endpoints_are_in_the_openapi_schema(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/v1/dashboard/snapshot/",
        "/api/v1/dashboard/metrics/{name}/",
        "/api/v1/dashboard/rollups/daily/",
        "/api/v1/dashboard/exports/{job_id}/",
    ):
        assert path in schema["paths"]
    rollups_get = schema["paths"]["/api/v1/dashboard/rollups/daily/"]["get"]
    assert {"text/csv", "application/json"} <= set(rollups_get["responses"]["200"]["content"])
    assert {parameter["name"] for parameter in rollups_get["parameters"]} >= {"cursor", "start", "end"}


def test_the_page_is_for_managers_and_admins_only(client, manager, admin_user, office_clerk, driver_a):
    url = reverse("dashboard:page")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(office_clerk)
    assert client.get(url).status_code == 403
    client.force_login(driver_a.user)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-panel="finance"' not in page.content.decode()
    client.force_login(admin_user)
    assert 'data-panel="finance"' in client.get(url).content.decode()
