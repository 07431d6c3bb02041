"""Schemathesis over the whole OpenAPI schema, each operation called as the role it is for.

Checks: no 5xx; documented responses match their schema and content type. (Undocumented 4xx
status codes are not checked: the schema documents few error answers.)
"""

import pytest
import schemathesis
from django.urls import get_resolver
from hypothesis import settings
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.fuzz.conftest import FUZZ
from tests.fuzz.roles import caller_for


def load_schema():
    from luckygas.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = load_schema()


def _api_view_paths(resolver=None, prefix: str = "") -> set[str]:
    """Every DRF view the URL resolver serves, as an OpenAPI-style path."""
    resolver = resolver or get_resolver()
    paths = set()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            paths |= _api_view_paths(pattern, route)
            continue
        view_class = getattr(pattern.callback, "cls", None)
        if (
            view_class is not None
            and issubclass(view_class, APIView)
            and not route.startswith("api/schema")
            and not route.startswith("api/docs")
        ):
            paths.add(
                "/"
                + route.replace("<uuid:", "{")
                .replace("<str:", "{")
                .replace("<slug:", "{")
                .replace("<int:", "{")
                .replace(">", "}")
            )
    return paths


def test_the_schema_documents_every_api_the_project_serves():
    documented = set(schema.raw_schema["paths"])

    assert _api_view_paths() - documented == set()
    assert len(documented) >= 14


def test_every_documented_operation_has_a_caller_role():
    for path in schema.raw_schema["paths"]:
        assert caller_for(path) in {"anonymous", "driver", "office", "manager"}


@pytest.fixture
def role_headers(world, office_clerk, manager):
    return {
        "anonymous": {},
        "driver": {"Authorization": f"Device {world.device_token}"},
        "office": {"Authorization": f"Token {Token.objects.create(user=office_clerk).key}"},
        "manager": {"Authorization": f"Token {Token.objects.create(user=manager).key}"},
    }


@schema.parametrize()
@settings(FUZZ, max_examples=10)
def test_every_api_operation_never_fails_and_matches_its_schema(case, role_headers):
    case.headers = {**(case.headers or {}), **role_headers[caller_for(case.path)], "Accept-Language": "en"}
    case.call_and_validate(
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
