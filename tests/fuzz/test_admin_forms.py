"""Hostile values in every admin add and change form of every registered ModelAdmin, and the login.

Fields are read from each form page itself. Invariants: never a 5xx, and a refused form (the page
shown again with its errors) changes no row.
"""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz import strategies
from tests.fuzz.conftest import FUZZ, row_counts

MODEL_ADMINS = sorted(
    ((model._meta.app_label, model._meta.model_name) for model in admin.site._registry),
)
FIELD_NAME = re.compile(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"')
NOT_FUZZED = {"csrfmiddlewaretoken", "_save", "_continue", "_addanother", "_popup", "_to_field"}


def _field_names(html: str) -> list[str]:
    return sorted(set(FIELD_NAME.findall(html)) - NOT_FUZZED)


def _fuzz_form(client, url: str, data) -> None:
    page = client.get(url)
    assert page.status_code < 500, f"GET {url} answered {page.status_code}"
    if page.status_code != 200:
        return
    names = _field_names(page.content.decode())
    if not names:
        return
    fields = data.draw(strategies.hostile_form(names), label="form")
    before = row_counts()

    response = client.generic(
        "POST", url, strategies.urlencoded({**fields, "_save": "1"}), "application/x-www-form-urlencoded"
    )

    assert response.status_code < 500, f"POST {url} {fields!r:.300} answered {response.status_code}"
    if response.status_code == 200:
        assert row_counts() == before, f"POST {url} was refused but changed rows"


def test_every_model_admin_is_enumerated():
    assert len(MODEL_ADMINS) >= 30


@pytest.mark.parametrize(("app_label", "model_name"), MODEL_ADMINS)
@settings(FUZZ, max_examples=5)
@given(data=st.data())
def test_hostile_add_forms_never_give_a_server_error(world, app_label, model_name, data):
    _fuzz_form(world.admin, reverse(f"admin:{app_label}_{model_name}_add"), data)


@pytest.mark.parametrize(("app_label", "model_name"), MODEL_ADMINS)
@settings(FUZZ, max_examples=5)
@given(data=st.data())
def test_hostile_change_forms_never_give_a_server_error(world, app_label, model_name, data):
    model = next(m for m in admin.site._registry if (m._meta.app_label, m._meta.model_name) == (app_label, model_name))
    instance = model._default_manager.order_by("pk").first()
    if instance is None:
        return
    _fuzz_form(world.admin, reverse(f"admin:{app_label}_{model_name}_change", args=[instance.pk]), data)


@FUZZ
@given(fields=strategies.hostile_form(["username", "password", "next"]))
def test_hostile_admin_logins_are_refused_and_change_nothing(world, fields):
    before = row_counts()

    response = world.anonymous.generic(
        "POST", reverse("admin:login"), strategies.urlencoded(fields), "application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert row_counts() == before
