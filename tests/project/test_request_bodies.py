"""Every API answers a hostile body with a 4xx, never a 500, and changes nothing.

The APIs are found by walking the URL resolver, so a new one is covered without being listed.
Each is sent, by a caller it admits: a body nested far deeper than any request needs, a body
larger than the view accepts, invalid UTF-8, a JSON constant that isn't JSON (NaN), and a
content type it doesn't parse.
"""

import uuid
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from luckygas.api import DEFAULT_MAX_BODY_BYTES, MAX_JSON_DEPTH
from luckygas.delivery.models import Order, RouteStop
from offline_sync.models import SyncAction
from tests.offline_sync.factories import phone_for, started_route

pytestmark = pytest.mark.django_db

BODY_METHODS = ("post", "put", "patch")
PLACEHOLDERS = {"uuid": str(uuid.uuid4()), "slug": "orders", "str": str(uuid.uuid4()), "int": "1", "path": "x"}


def _walk(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, type[APIView]]]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, route)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if isinstance(view_class, type) and issubclass(view_class, APIView):
                yield route, view_class


def _url(route: str) -> str:
    path = route.lstrip("^").rstrip("$")
    for converter, value in PLACEHOLDERS.items():
        while f"<{converter}:" in path:
            start = path.index(f"<{converter}:")
            path = path[:start] + value + path[path.index(">", start) + 1 :]
    return "/" + path


API_BODY_ENDPOINTS = sorted(
    (_url(route), method)
    for route, view_class in _walk(get_resolver())
    for method in BODY_METHODS
    if hasattr(view_class, method) and not route.startswith("api/schema")
)


def _deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


HOSTILE_BODIES = {
    "nested_100000": (_deep(100_000), "application/json"),
    "nested_past_the_limit": (_deep(MAX_JSON_DEPTH + 1), "application/json"),
    "lists_nested_5000": (b"[" * 5000 + b"]" * 5000, "application/json"),
    "too_large": (b'{"a":"' + b"x" * (DEFAULT_MAX_BODY_BYTES * 5) + b'"}', "application/json"),
    "invalid_utf8": (b'{"username":"\xff\xfe"}', "application/json"),
    "nan": (b'{"amount": NaN}', "application/json"),
    "overflowing_float": (b'{"actions": [{"payload": {"amount": 1e999}}], "points": [1e999]}', "application/json"),
    "truncated": (b'{"actions": [', "application/json"),
    "xml": (b"<actions/>", "application/xml"),
}


@pytest.fixture
def callers(admin_user, driver_a) -> dict[str, APIClient]:
    started_route(driver_a, stops=2)
    office = APIClient()
    office.force_authenticate(admin_user)
    return {"driver": phone_for(driver_a).client, "office": office, "anonymous": APIClient()}


def test_every_api_that_takes_a_body_is_covered():
    urls = {url for url, _method in API_BODY_ENDPOINTS}
    assert {"/api/v1/driver/sync", "/api/v1/driver/devices/login", "/api/v1/driver/locations"} <= urls


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
@pytest.mark.parametrize(("url", "method"), API_BODY_ENDPOINTS)
def test_a_hostile_body_is_refused_with_a_4xx_and_changes_nothing(callers, url, method, name):
    body, content_type = HOSTILE_BODIES[name]
    before = (SyncAction.objects.count(), Order.objects.count(), RouteStop.objects.filter(status="delivered").count())
    for caller, client in callers.items():
        # when
        response = getattr(client, method)(url, body, content_type=content_type)
        # then
        assert 400 <= response.status_code < 500, (caller, response.status_code, response.content[:200])
        if caller != "anonymous" or url.endswith("devices/login"):
            assert response.status_code != 200
    after = (SyncAction.objects.count(), Order.objects.count(), RouteStop.objects.filter(status="delivered").count())
    assert after == before


def test_the_driver_api_says_what_was_wrong_in_its_error_shape(callers):
    phone = callers["driver"]
    nested = phone.post("/api/v1/driver/sync", _deep(5000), content_type="application/json")
    login = b'{"username":"' + b"x" * 10_000 + b'"}'
    large = phone.post("/api/v1/driver/devices/login", login, content_type="application/json")
    assert (nested.status_code, nested.json()["code"]) == (400, "parse_error")
    assert (large.status_code, large.json()["code"]) == (413, "too_large")
