"""Office staff keep recurring orders in admin: a template with its lines, its next dates, and tomorrow's orders now."""

import datetime

import pytest
from django.utils import timezone

from luckygas.delivery.models import Order, OrderTemplate, RecurringOrder, RecurringOutcome
from tests.delivery.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

INLINES = {
    "lines-TOTAL_FORMS": "1",
    "lines-INITIAL_FORMS": "0",
    "lines-MIN_NUM_FORMS": "1",
    "lines-MAX_NUM_FORMS": "1000",
    "occurrences-TOTAL_FORMS": "0",
    "occurrences-INITIAL_FORMS": "0",
    "occurrences-MIN_NUM_FORMS": "0",
    "occurrences-MAX_NUM_FORMS": "0",
}


def add_template(client, **fields):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data = {
        "customer": CustomerFactory().pk,
        "name": "每週瓦斯",
        "is_active": "on",
        "recurrence": "weekly",
        "interval": "1",
        "weekdays": [str(tomorrow.weekday())],
        "day_of_month": "",
        "starts_on": (tomorrow - datetime.timedelta(days=7)).isoformat(),
        "ends_on": "",
        "slot": "",
        "priority": "urgent",
        "payment_method": "",
        "delivery_notes": "放門口",
        **INLINES,
        "lines-0-product": str(ProductFactory().pk),
        "lines-0-quantity": "2",
    }
    data.update(fields)
    return client.post("/admin/delivery/ordertemplate/add/", data)


def test_a_clerk_adds_a_weekly_template_and_sees_its_next_dates(client, office_clerk):
    client.force_login(office_clerk)
    response = add_template(client)
    assert response.status_code == 302
    template = OrderTemplate.objects.get()
    assert template.created_by == office_clerk
    assert [(line.product.code, line.quantity) for line in template.lines.all()] == [("LPG-20", 2)]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert template.weekdays == [tomorrow.weekday()]
    changelist = client.get("/admin/delivery/ordertemplate/")
    assert f"{tomorrow:%m-%d}" in changelist.content.decode()
    change = client.get(f"/admin/delivery/ordertemplate/{template.pk}/change/")
    assert f"{tomorrow:%Y-%m-%d}" in change.content.decode()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"weekdays": ["8"]}, "weekdays"),
        ({"interval": "0"}, "interval"),
        ({"ends_on": "2000-01-01"}, "ends_on"),
        ({"recurrence": "monthly", "day_of_month": "32", "weekdays": []}, "day_of_month"),
        ({"lines-0-quantity": "0"}, "quantity"),
    ],
)
def test_a_bad_template_form_names_the_field_and_saves_nothing(client, office_clerk, fields, field):
    client.force_login(office_clerk)
    response = add_template(client, **fields)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    inline_errors = [form.errors for formset in response.context["inline_admin_formsets"] for form in formset.formset]
    assert field in errors or any(field in form_errors for form_errors in inline_errors)
    assert not OrderTemplate.objects.exists()


def test_the_action_creates_tomorrows_orders_once_and_says_what_it_did(client, office_clerk):
    client.force_login(office_clerk)
    add_template(client)
    template = OrderTemplate.objects.get()
    action = {"action": "create_tomorrows_orders", "_selected_action": [str(template.pk)]}
    first = client.post("/admin/delivery/ordertemplate/", action, follow=True)
    client.post("/admin/delivery/ordertemplate/", action, follow=True)
    order = Order.objects.get()
    assert order.delivery_date == timezone.localdate() + datetime.timedelta(days=1)
    assert order.priority == "urgent"
    assert order.created_by == office_clerk
    assert RecurringOrder.objects.get().outcome == RecurringOutcome.CREATED
    texts = [str(message) for message in first.context["messages"]]
    assert any("1" in text for text in texts)


def test_a_manager_may_look_but_not_add_or_run_the_action(client, manager, office_clerk):
    client.force_login(office_clerk)
    add_template(client)
    template = OrderTemplate.objects.get()
    client.force_login(manager)
    assert client.get("/admin/delivery/ordertemplate/").status_code == 200
    assert add_template(client).status_code == 403
    client.post(
        "/admin/delivery/ordertemplate/",
        {"action": "create_tomorrows_orders", "_selected_action": [str(template.pk)]},
    )
    assert not Order.objects.exists()
