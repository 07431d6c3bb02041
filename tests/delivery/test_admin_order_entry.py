"""An order entered in admin is made by `order_create`: same prices, payment method and creator."""

import re

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from luckygas.delivery.models import Order, OrderLine, OrderStatus
from luckygas.delivery.services import OrderLineInput, order_create
from tests.delivery.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def admin_add_order(client, *, customer, lines: list[tuple[int, int]], notes: str = "", submission_key: str = ""):
    data = {
        "customer": customer.pk,
        "delivery_date": timezone.localdate().isoformat(),
        "slot": "morning",
        "notes": notes,
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
        "status_changes-MIN_NUM_FORMS": "0",
        "status_changes-MAX_NUM_FORMS": "0",
        "submission_key": submission_key,
    }
    for index, (product_id, quantity) in enumerate(lines):
        data[f"lines-{index}-product"] = product_id
        data[f"lines-{index}-quantity"] = str(quantity)
    return client.post("/admin/delivery/order/add/", data)


def zh_hant(message: str) -> str:
    with translation.override("zh-hant"):
        return gettext(message)


def line_errors(response) -> list[str]:
    """The order lines' formset errors shown on the refused add page."""
    return [
        str(error) for inline in response.context["inline_admin_formsets"] for error in inline.formset.non_form_errors()
    ]


def order_facts(order: Order) -> tuple:
    lines = sorted(
        OrderLine.objects.filter(order=order).values_list("product_id", "quantity", "unit_price"), key=lambda row: row
    )
    return (order.status, order.total_amount, order.payment_method, order.created_by_id, order.slot, lines)


def test_an_order_saved_in_admin_gets_the_prices_and_creator_order_create_gives(client, office_clerk):
    # given
    customer = CustomerFactory()
    gas = ProductFactory()
    small = ProductFactory(code="LPG-4", name="4 公斤桶裝瓦斯", size_kg=4, price=420)
    client.force_login(office_clerk)
    # when
    response = admin_add_order(client, customer=customer, lines=[(gas.pk, 3), (small.pk, 2)], notes="後門")
    by_service = order_create(
        customer=customer,
        delivery_date=timezone.localdate(),
        slot="morning",
        notes="後門",
        lines=[OrderLineInput(product=gas, quantity=3), OrderLineInput(product=small, quantity=2)],
        created_by=office_clerk,
    )
    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    by_admin = Order.objects.exclude(pk=by_service.pk).get()
    assert response["Location"] == "/admin/delivery/order/"
    assert order_facts(by_admin) == order_facts(Order.objects.get(pk=by_service.pk))
    assert order_facts(by_admin) == (
        OrderStatus.PENDING,
        3 * 950 + 2 * 420,
        customer.payment_method,
        office_clerk.pk,
        "morning",
        sorted([(gas.pk, 3, 950), (small.pk, 2, 420)]),
    )
    assert by_admin.notes == "後門"
    assert by_admin.status_changed_at is not None


def test_an_order_for_an_inactive_customer_is_refused_in_admin_and_nothing_is_saved(client, office_clerk):
    customer = CustomerFactory(is_active=False)
    product = ProductFactory()
    client.force_login(office_clerk)
    response = admin_add_order(client, customer=customer, lines=[(product.pk, 1)])
    assert response.status_code == 200
    assert line_errors(response) == [zh_hant("This customer is inactive.")]
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0


def test_an_order_with_a_product_no_longer_sold_is_refused_in_admin_and_nothing_is_saved(client, office_clerk):
    customer = CustomerFactory()
    product = ProductFactory(code="LPG-16", name="16 公斤桶裝瓦斯", size_kg=16, is_active=False)
    client.force_login(office_clerk)
    response = admin_add_order(client, customer=customer, lines=[(product.pk, 1)])
    assert response.status_code == 200
    assert line_errors(response) == [zh_hant("%(product)s is no longer sold.") % {"product": product}]
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0


def order_form_key(client) -> str:
    """The key the add form the clerk has open carries (a new one every time the form is shown)."""
    page = client.get("/admin/delivery/order/add/")
    return re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page.content.decode()).group(1)


def test_the_same_order_form_submitted_twice_makes_one_order(client, office_clerk):
    # given: the answer to the first submission was lost, so the clerk submits the same form again
    customer = CustomerFactory()
    gas = ProductFactory()
    client.force_login(office_clerk)
    key = order_form_key(client)
    # when
    first = admin_add_order(client, customer=customer, lines=[(gas.pk, 2)], notes="後門", submission_key=key)
    again = admin_add_order(client, customer=customer, lines=[(gas.pk, 2)], notes="後門", submission_key=key)
    # then
    assert (first.status_code, again.status_code) == (302, 302)
    order = Order.objects.get()
    assert (order.customer, order.total_amount, order.lines.count()) == (customer, 2 * 950, 1)
    assert str(order.entry_key) == key


def test_two_order_forms_for_one_customer_make_two_orders(client, office_clerk):
    # given: a customer who calls twice gets two orders
    customer = CustomerFactory()
    gas = ProductFactory()
    client.force_login(office_clerk)
    keys = [order_form_key(client), order_form_key(client)]
    # when
    for key in keys:
        admin_add_order(client, customer=customer, lines=[(gas.pk, 1)], submission_key=key)
    # then
    assert keys[0] != keys[1]
    assert Order.objects.filter(customer=customer).count() == 2
