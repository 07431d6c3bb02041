import re

import pytest
from django.conf import settings
from django.utils import timezone

from luckygas.delivery import events
from luckygas.delivery.models import Customer, Invoice, Order, OrderStatus, RouteStop
from tests.delivery.factories import CustomerFactory, InvoiceFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _changelist_action(client, model: str, action: str, ids: list[int], **extra):
    return client.post(
        f"/admin/delivery/{model}/", {"action": action, "_selected_action": [str(i) for i in ids], **extra}
    )


def test_office_enters_an_order_with_lines_and_it_is_priced_and_announced(
    client, office_clerk, django_capture_on_commit_callbacks
):
    customer, product = CustomerFactory(), ProductFactory()
    created = []
    handler = lambda **payload: created.append(payload["order_id"])  # noqa: E731
    events.subscribe(events.ORDER_CREATED, handler)
    client.force_login(office_clerk)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/admin/delivery/order/add/",
                {
                    "customer": customer.pk,
                    "delivery_date": timezone.localdate().isoformat(),
                    "slot": "morning",
                    "notes": "",
                    "lines-TOTAL_FORMS": "1",
                    "lines-INITIAL_FORMS": "0",
                    "lines-MIN_NUM_FORMS": "1",
                    "lines-MAX_NUM_FORMS": "1000",
                    "lines-0-product": product.pk,
                    "lines-0-quantity": "3",
                    "status_changes-TOTAL_FORMS": "0",
                    "status_changes-INITIAL_FORMS": "0",
                    "status_changes-MIN_NUM_FORMS": "0",
                    "status_changes-MAX_NUM_FORMS": "0",
                },
            )
    finally:
        events.unsubscribe(events.ORDER_CREATED, handler)
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert (order.status, order.total_amount, order.created_by) == (OrderStatus.PENDING, 2850, office_clerk)
    assert created == [order.pk]


def test_confirm_action_confirms_pending_and_reports_the_others(client, office_clerk):
    pending, delivered = OrderFactory(), OrderFactory(status=OrderStatus.DELIVERED)
    client.force_login(office_clerk)

    response = _changelist_action(client, "order", "confirm_orders", [pending.pk, delivered.pk])

    assert response.status_code == 302
    pending.refresh_from_db()
    delivered.refresh_from_db()
    assert (pending.status, delivered.status) == (OrderStatus.CONFIRMED, OrderStatus.DELIVERED)
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("已確認 1 筆訂單" in m for m in messages)
    assert any(str(delivered.pk) in m for m in messages)


def test_assign_to_route_action_asks_for_driver_and_date_then_builds_the_route(client, office_clerk, driver_a):
    orders = [OrderFactory(status=OrderStatus.CONFIRMED) for _ in range(2)]
    ids = [order.pk for order in orders]
    client.force_login(office_clerk)

    form = _changelist_action(client, "order", "assign_to_route", ids)
    assert form.status_code == 200
    assert "排入路線" in form.content.decode()

    done = _changelist_action(
        client, "order", "assign_to_route", ids, apply="1", driver=driver_a.pk, date=timezone.localdate().isoformat()
    )

    assert done.status_code == 302
    assert RouteStop.objects.filter(route__driver=driver_a).count() == 2
    assert set(Order.objects.filter(pk__in=ids).values_list("status", flat=True)) == {OrderStatus.SCHEDULED}


def test_mark_paid_action_records_the_balance_once(client, office_clerk):
    invoice = InvoiceFactory(amount=3000)
    client.force_login(office_clerk)

    _changelist_action(client, "invoice", "mark_paid", [invoice.pk])
    _changelist_action(client, "invoice", "mark_paid", [invoice.pk])

    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == "paid"
    assert list(invoice.payments.values_list("amount", flat=True)) == [3000]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/delivery/customer/",
        "/admin/delivery/order/",
        "/admin/delivery/route/",
        "/admin/delivery/invoice/",
        "/admin/delivery/cylinder/",
        "/admin/delivery/routestop/",
        "/admin/delivery/payment/",
    ],
)
def test_office_list_pages_render_with_a_bounded_number_of_queries(
    client, office_clerk, url, django_assert_max_num_queries
):
    for _ in range(5):
        OrderFactory()
    InvoiceFactory()
    client.force_login(office_clerk)
    with django_assert_max_num_queries(15):
        response = client.get(url)
    assert response.status_code == 200


def test_reordering_stops_in_admin_renumbers_them_and_raises_their_versions(client, office_clerk, driver_a):
    from luckygas.delivery import services

    orders = [OrderFactory(status=OrderStatus.CONFIRMED) for _ in range(3)]
    route = services.route_assign_orders(driver=driver_a, date=timezone.localdate(), orders=orders)
    first, second, third = route.stops.order_by("sequence")
    client.force_login(office_clerk)
    data = {
        "driver": driver_a.pk,
        "date": route.date.isoformat(),
        "vehicle": "",
        "status": "planned",
        "stops-TOTAL_FORMS": "3",
        "stops-INITIAL_FORMS": "3",
        "stops-MIN_NUM_FORMS": "0",
        "stops-MAX_NUM_FORMS": "1000",
    }
    for index, (stop, sequence) in enumerate([(first, 3), (second, 1), (third, 2)]):
        data[f"stops-{index}-id"] = stop.pk
        data[f"stops-{index}-route"] = route.pk
        data[f"stops-{index}-sequence"] = sequence

    response = client.post(f"/admin/delivery/route/{route.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(route.stops.order_by("sequence").values_list("pk", "version")) == [
        (second.pk, 2),
        (third.pk, 2),
        (first.pk, 2),
    ]


def test_assign_to_route_form_shows_the_orders_date_in_its_date_picker(client, office_clerk):
    # given orders for one day, the form proposes that day
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    client.force_login(office_clerk)
    # when the clerk chooses the action (in Chinese, whose date format is 2026/12/05)
    form = _changelist_action(client, "order", "assign_to_route", [order.pk]).content.decode()
    # then the browser's date picker gets the ISO date it understands (a slashed date showed an empty field)
    assert f'type="date" name="date" value="{order.delivery_date.isoformat()}"' in form


def test_an_order_line_s_boxes_are_named_after_their_column(client, office_clerk):
    client.force_login(office_clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    page = client.get("/admin/delivery/order/add/").content.decode()
    # a table row has no <label>: without these a screen reader reads two unnamed boxes
    assert re.search(r'<select name="lines-0-product" [^>]*aria-label="產品"', page)
    assert re.search(r'<input type="number" name="lines-0-quantity" [^>]*aria-label="數量"', page)


@pytest.mark.parametrize("typed", ["0919 781 790", "0919-781-790", "0919781", "+886919781790"])
def test_a_caller_is_found_by_the_phone_number_as_people_say_it(client, office_clerk, typed):
    # given a customer whose phone is stored as +886919781790, and one other
    caller = CustomerFactory(phone="+886919781790", mobile="")
    CustomerFactory(phone="+886912000001", mobile="")
    order = OrderFactory(customer=caller)
    client.force_login(office_clerk)
    # when the clerk types the number into the customer list, the order form's customer box and the order list
    customers = client.get("/admin/delivery/customer/", {"q": typed})
    autocomplete = client.get(
        "/admin/autocomplete/",
        {"term": typed, "app_label": "delivery", "model_name": "order", "field_name": "customer"},
    ).json()
    orders = client.get("/admin/delivery/order/", {"q": typed})
    # then each finds the caller and only the caller (a plain 0919… search found nothing)
    assert [customer.pk for customer in customers.context["cl"].result_list] == [caller.pk]
    assert [result["id"] for result in autocomplete["results"]] == [str(caller.pk)]
    assert [found.pk for found in orders.context["cl"].result_list] == [order.pk]


def test_closed_days_are_ticked_weekdays_not_json(client, office_clerk):
    # given a clerk adding a customer closed on Saturdays and Sundays
    client.force_login(office_clerk)
    form = client.get("/admin/delivery/customer/add/").content.decode()
    assert 'type="checkbox" name="closed_days" value="5"' in form
    assert "星期六" in form
    # when the form is sent with those two boxes ticked
    response = client.post(
        "/admin/delivery/customer/add/",
        {
            "code": "C009001",
            "customer_type": "household",
            "short_name": "林美華",
            "is_active": "on",
            "payment_method": "cash",
            "credit_limit": "0",
            "phone": "0912 345 678",
            "city": "臺北市",
            "district": "大安區",
            "address": "復興南路一段100號5樓",
            "preferred_slot": "all_day",
            "closed_days": ["5", "6"],
            "cylinders-TOTAL_FORMS": "0",
            "cylinders-INITIAL_FORMS": "0",
        },
    )
    # then the customer is saved with those weekdays (typing 5,6 was refused as 輸入有效的 JSON。)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Customer.objects.get(code="C009001").closed_days == [5, 6]
