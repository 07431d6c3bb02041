"""N+1 guards: no admin changelist and no list API runs more queries as its rows grow.

Each page is measured on a small demo data set and again after the demo has grown ten-fold;
a page whose query count grew loads something per row. Pages are found by walking the admin
registry, so a new admin is covered without being listed here.
"""

from collections.abc import Iterable

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from luckygas.delivery.models import Customer, Order, RouteStop
from tests.offline_sync.factories import phone_for, started_route

pytestmark = pytest.mark.django_db

SMALL = {"customers": 4, "orders": 12}
LARGE = {"customers": 40, "orders": 160}


def _changelist_urls() -> list[str]:
    return sorted(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry
    )


def _query_counts(client, urls: Iterable[str]) -> dict[str, int]:
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[url] = len(queries)
    return counts


def _grown(small: dict[str, int], large: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {url: (small[url], large[url]) for url in small if large[url] > small[url]}


def _seed(size: dict[str, int]) -> None:
    call_command("seed_demo", force=True, verbosity=0, **size)


def test_no_admin_changelist_runs_more_queries_when_its_rows_grow(client):
    # given: the small demo, seen by the admin
    _seed(SMALL)
    client.force_login(User.objects.get(username="admin"))
    urls = _changelist_urls()
    small = _query_counts(client, urls)
    rows_before = (Customer.objects.count(), Order.objects.count(), RouteStop.objects.count())

    # when: the demo grows ten-fold (seeding sets the demo passwords again: log in again)
    _seed(LARGE)
    client.force_login(User.objects.get(username="admin"))
    large = _query_counts(client, urls)

    # then: the same pages, the same number of queries
    assert (Customer.objects.count(), Order.objects.count()) == (40, 160)
    assert RouteStop.objects.count() > rows_before[2]
    assert rows_before[:2] == (4, 12)
    assert _grown(small, large) == {}
    assert len(urls) >= 30


def test_no_list_api_runs_more_queries_when_its_rows_grow(driver_a, driver_b, manager):
    # given: one driver with 3 stops, and the office's view of that day
    office = APIClient()
    office.force_authenticate(manager)
    office_urls = ["/api/v1/routes/", "/api/v1/dashboard/orders/", "/api/v1/dashboard/rollups/daily/"]
    phones = {"small": phone_for(driver_a), "large": phone_for(driver_b)}
    started_route(driver_a, stops=3)
    office_small = _query_counts(office, office_urls)

    # when: another driver gets a route of 30 stops
    started_route(driver_b, stops=30)

    # then: each driver's view of their own route costs the same, 3 stops or 30
    driver_urls = [f"/api/v1/driver/route?date={timezone.localdate()}", "/api/v1/driver/changes?cursor=0"]
    counts = {name: _query_counts(phone.client, driver_urls) for name, phone in phones.items()}
    assert _grown(counts["small"], counts["large"]) == {}
    # and the office's list APIs cost the same with 33 orders as with 3
    assert _grown(office_small, _query_counts(office, office_urls)) == {}
