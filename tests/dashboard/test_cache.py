"""Cached snapshots: keyed by metric, period, time zone and audience."""

import datetime

import pytest

from dashboard.metrics import ADMIN, MANAGER, METRICS, Period, cache_key, snapshot_get
from tests.dashboard.helpers import delivered_order_at, taipei

MONDAY = datetime.date(2026, 11, 9)
TUESDAY = datetime.date(2026, 11, 10)


@pytest.fixture
def two_days(db, django_capture_on_commit_callbacks):
    delivered_order_at(taipei(2026, 11, 9, 12, 0), capture=django_capture_on_commit_callbacks)
    delivered_order_at(taipei(2026, 11, 10, 12, 0), capture=django_capture_on_commit_callbacks)


def test_changing_the_date_range_never_returns_the_cached_old_range(two_days):
    finance = METRICS["finance"]
    monday = snapshot_get(finance, Period(MONDAY, MONDAY), ADMIN)
    both = snapshot_get(finance, Period(MONDAY, TUESDAY), ADMIN)
    tuesday = snapshot_get(finance, Period(TUESDAY, TUESDAY), ADMIN)
    assert (monday["data"]["revenue_total"], both["data"]["revenue_total"], tuesday["data"]["revenue_total"]) == (
        950,
        1900,
        950,
    )
    assert (monday["start"], both["start"], tuesday["start"]) == ("2026-11-09", "2026-11-09", "2026-11-10")
    assert [row["day"] for row in tuesday["data"]["revenue_by_day"]] == ["2026-11-10"]


def test_the_same_range_is_served_from_the_cache_until_its_ttl(two_days):
    customers = METRICS["customers"]
    first = snapshot_get(customers, Period(MONDAY, TUESDAY), MANAGER)
    again = snapshot_get(customers, Period(MONDAY, TUESDAY), MANAGER)
    assert again["as_of"] == first["as_of"]


def test_cache_keys_hold_metric_period_time_zone_and_audience():
    key = cache_key(METRICS["kpis"], Period(MONDAY, TUESDAY), MANAGER)
    assert key == "dashboard:v1:kpis:manager:2026-11-09:2026-11-10:Asia/Taipei"
    assert key != cache_key(METRICS["kpis"], Period(MONDAY, TUESDAY), ADMIN)


def test_a_manager_cannot_compute_an_admin_metric(db):
    with pytest.raises(PermissionError):
        snapshot_get(METRICS["finance"], Period(MONDAY, MONDAY), MANAGER)
