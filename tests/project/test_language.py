import pytest

pytestmark = pytest.mark.django_db


def test_admin_is_in_traditional_chinese_by_default_even_for_an_english_browser(client, office_clerk):
    client.force_login(office_clerk)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert response["Content-Language"] == "zh-hant"
    assert "客戶" in page
    assert "訂單" in page


def test_admin_switches_to_english_when_the_user_picks_it(client, office_clerk):
    client.force_login(office_clerk)
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    response = client.get("/admin/")
    page = response.content.decode()
    assert response["Content-Language"] == "en"
    assert "Customers" in page


def test_status_choices_are_translated(client, office_clerk):
    from django.utils import translation

    from luckygas.delivery.models import OrderStatus

    with translation.override("zh-hant"):
        assert str(OrderStatus.OUT_FOR_DELIVERY.label) == "配送中"
