"""The orders table's API: a period's orders, searched, sorted and paged by the server."""

import datetime

import pytest
from django.db.models import F
from rest_framework.test import APIClient

from dashboard.metrics import local_today
from luckygas.delivery.models import Order
from luckygas.delivery.services import OrderLineInput, order_create
from tests.dashboard.test_api_and_pages import token_client
from tests.delivery.factories import CustomerFactory, ProductFactory

URL = "/api/v1/dashboard/orders/"


@pytest.fixture
def todays_orders(db) -> list[Order]:
    """Seven orders due today (quantities 1…7, so amounts differ) and one due tomorrow."""
    product = ProductFactory()
    today = local_today()
    orders = [
        order_create(
            customer=CustomerFactory(short_name=f"福氣小吃店{quantity}", code=f"C80000{quantity}"),
            delivery_date=today,
            lines=[OrderLineInput(product=product, quantity=quantity)],
        )
        for quantity in range(1, 8)
    ]
    order_create(
        customer=CustomerFactory(short_name="明天的客戶"),
        delivery_date=today + datetime.timedelta(days=1),
        lines=[OrderLineInput(product=product, quantity=1)],
    )
    return orders


def numbers(body: dict) -> list[int]:
    return [row["number"] for row in body["results"]]


def test_todays_orders_come_newest_first_in_pages(manager, todays_orders, django_assert_max_num_queries):
    client = token_client(manager)
    with django_assert_max_num_queries(6):
        first = client.get(URL, {"page_size": 3}).json()
    newest_first = sorted((order.pk for order in todays_orders), reverse=True)
    assert first["count"] == 7
    assert numbers(first) == newest_first[:3]
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    assert numbers(second) == newest_first[3:6]
    assert numbers(third) == newest_first[6:]
    assert third["next"] is None
    row = first["results"][0]
    assert row == {
        "number": newest_first[0],
        "delivery_date": local_today().isoformat(),
        "created_at": row["created_at"],
        "customer_code": "C800007",
        "customer_name": "福氣小吃店7",
        "status": "pending",
        "status_label": "待處理",
        "payment_method_label": Order.objects.get(pk=newest_first[0]).get_payment_method_display(),
        "amount": 7 * 950,
    }


def test_sorting_by_amount_both_ways_and_ties_by_number(manager, todays_orders):
    client = token_client(manager)
    ascending = client.get(URL, {"sort": "amount"}).json()
    descending = client.get(URL, {"sort": "-amount"}).json()
    assert [row["amount"] for row in ascending["results"]] == [950 * quantity for quantity in range(1, 8)]
    assert numbers(descending) == list(reversed(numbers(ascending)))
    # equal amounts: the order number decides, so pages never overlap
    Order.objects.filter(pk__in=[order.pk for order in todays_orders]).update(total_amount=950)
    tied = client.get(URL, {"sort": "amount", "page_size": 4}).json()
    tied_next = client.get(tied["next"]).json()
    assert numbers(tied) + numbers(tied_next) == sorted(order.pk for order in todays_orders)


def test_search_by_name_part_code_or_order_number(manager, todays_orders):
    client = token_client(manager)
    assert client.get(URL, {"q": "小吃店"}).json()["count"] == 7
    assert numbers(client.get(URL, {"q": "c800003"}).json()) == [todays_orders[2].pk]
    assert numbers(client.get(URL, {"q": str(todays_orders[4].pk)}).json()) == [todays_orders[4].pk]
    assert client.get(URL, {"q": "明天的客戶"}).json()["count"] == 0  # due tomorrow, not today


def test_a_period_shows_the_orders_due_in_it(manager, todays_orders):
    tomorrow = (local_today() + datetime.timedelta(days=1)).isoformat()
    body = token_client(manager).get(URL, {"start": tomorrow, "end": tomorrow}).json()
    assert [row["customer_name"] for row in body["results"]] == ["明天的客戶"]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"sort": "customer__phone"}, 400, "sort"),
        ({"q": "福" * 61}, 400, "q"),
        ({"start": "2026-13-01"}, 400, "start"),
        ({"start": "2026-11-05", "end": "2026-11-01"}, 400, "start"),
        ({"start": "2026-09-01", "end": "2026-11-01"}, 400, "start"),  # more than 31 days
        ({"page": "99"}, 404, None),  # no field at fault: the page does not exist
    ],
)
def test_bad_parameters_are_a_4xx_naming_the_field(manager, todays_orders, params, status, field):
    response = token_client(manager).get(URL, params)
    assert response.status_code == status
    body = response.json()
    assert list(body.get("errors", {})) == ([field] if field else [])
    assert body["code"] == ("invalid" if field else "not_found")


@pytest.mark.parametrize("search", ["²", "١٢٣", "0" * 12])
def test_a_search_of_unusual_digits_is_a_plain_text_search(manager, todays_orders, search):
    response = token_client(manager).get(URL, {"q": search})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_drivers_office_staff_and_strangers_get_no_orders_table(driver_a, office_clerk, todays_orders):
    for user in (driver_a.user, office_clerk):
        assert token_client(user).get(URL).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


def test_the_table_reads_the_current_amounts(manager, todays_orders):
    Order.objects.filter(pk=todays_orders[0].pk).update(total_amount=F("total_amount") + 100)
    body = token_client(manager).get(URL, {"q": "C800001"}).json()
    assert [row["amount"] for row in body["results"]] == [1050]
