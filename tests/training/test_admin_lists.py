"""The delivery admin lists label practice rows 練習 and filter them in or out."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.delivery.factories import CustomerFactory, OrderFactory, ProductFactory
from training.services import practice_sets_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice_and_real(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ProductFactory()
    OrderFactory(customer=CustomerFactory(short_name="真實客戶"))
    practice_sets_seed(count=1, password="practice-password")


def _results(html: str) -> str:
    """The changelist's table of rows (the filter sidebar names every driver, practice or not)."""
    if 'id="result_list"' not in html:
        return ""
    table = html[html.index('id="result_list"') :]
    return table[: table.index("</table>")]


@pytest.mark.parametrize(
    ("model", "practice_text", "real_text"),
    [
        ("customer", "TR001-01", "真實客戶"),
        ("order", "練習 ", "真實客戶"),
        ("route", "練習司機 1", None),
        ("driver", "練習司機 1", None),
    ],
)
def test_the_practice_filter_shows_practice_rows_only_or_real_rows_only(
    admin_user, practice_and_real, model: str, practice_text: str, real_text: str | None
) -> None:
    client = Client()
    client.force_login(admin_user)
    url = reverse(f"admin:delivery_{model}_changelist")

    practice = client.get(url, {"practice": "yes"})
    real = client.get(url, {"practice": "no"})

    assert practice.status_code == real.status_code == 200
    assert practice_text in _results(practice.text)
    assert practice_text not in _results(real.text)
    if real_text is not None:
        assert real_text in _results(real.text)
        assert real_text not in _results(practice.text)
