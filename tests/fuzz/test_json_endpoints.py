"""Hostile bodies and query strings on every JSON endpoint, enumerated from the OpenAPI schema.

Invariants: never a 5xx, and a refused request (4xx) changes no row of any project table.
"""

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import strategies
from tests.fuzz.conftest import FUZZ, row_counts, sample_path
from tests.fuzz.roles import caller_for

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
COMPONENTS = SCHEMA["components"]["schemas"]


def _properties(schema: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[1]]
    names = list(schema.get("properties", {}))
    for part in schema.get("allOf", []) + schema.get("oneOf", []):
        names += _properties(part)
    return names


def _operations(*, with_body: bool) -> list[tuple[str, str, list[str]]]:
    operations = []
    for path, methods in SCHEMA["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {})
            if with_body and body:
                fields = _properties(next(iter(body.values())).get("schema", {}))
                operations.append((method.upper(), path, fields))
            if not with_body and method == "get":
                operations.append((method.upper(), path, [p["name"] for p in operation.get("parameters", [])]))
    return operations


BODY_OPERATIONS = _operations(with_body=True)
QUERY_OPERATIONS = _operations(with_body=False)


def _send(world, method: str, path: str, body: bytes, content_type: str):
    client = world.client_for(caller_for(path))
    return client.generic(method, sample_path(path), body, content_type=content_type)


def _assert_refusal_changed_nothing(response, before: dict[str, int], request: str) -> None:
    assert response.status_code < 500, f"{request} answered {response.status_code}"
    if response.status_code >= 400:
        assert row_counts() == before, f"{request} was refused ({response.status_code}) but changed rows"


def test_every_json_endpoint_is_enumerated():
    assert len(BODY_OPERATIONS) >= 5
    assert len(QUERY_OPERATIONS) >= 10


@pytest.mark.parametrize(("method", "path", "fields"), BODY_OPERATIONS, ids=lambda v: str(v)[:40])
@FUZZ
@given(data=st.data())
def test_hostile_json_bodies_never_give_a_server_error(world, method, path, fields, data):
    body = data.draw(strategies.hostile_json_object(fields) | strategies.hostile_value, label="body")
    before = row_counts()

    response = _send(world, method, path, strategies.encode_json(body), "application/json")

    _assert_refusal_changed_nothing(response, before, f"{method} {path} {body!r:.200}")


@pytest.mark.parametrize(("method", "path", "fields"), BODY_OPERATIONS, ids=lambda v: str(v)[:40])
@pytest.mark.parametrize(
    ("content_type", "raw"), strategies.RAW_BODIES, ids=[f"{c[:20]}-{r[:12]!r}" for c, r in strategies.RAW_BODIES]
)
def test_malformed_bodies_and_wrong_content_types_are_refused_cleanly(world, method, path, fields, content_type, raw):
    before = row_counts()

    response = _send(world, method, path, raw, content_type)

    _assert_refusal_changed_nothing(response, before, f"{method} {path} {content_type} {raw[:40]!r}")
    assert response.status_code in {400, 401, 403, 404, 413, 415}


@pytest.mark.parametrize(("method", "path", "parameters"), QUERY_OPERATIONS, ids=lambda v: str(v)[:40])
@FUZZ
@given(data=st.data())
def test_hostile_query_parameters_never_give_a_server_error(world, method, path, parameters, data):
    names = [*parameters, "format", "page", "page_size", "cursor"]
    query = data.draw(strategies.hostile_form(names), label="query")
    before = row_counts()

    response = world.client_for(caller_for(path)).generic(
        method, f"{sample_path(path)}?{strategies.urlencoded(query).decode()}"
    )

    _assert_refusal_changed_nothing(response, before, f"{method} {path}?{query!r:.200}")
