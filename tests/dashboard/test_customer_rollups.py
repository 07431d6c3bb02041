"""The customers panel reads per-customer day rollups; its numbers equal a direct count of the orders."""

import contextlib
import datetime

import pytest
from django.db.models import Count, Sum

from dashboard.metrics import Period, compute_customers, local_today
from dashboard.models import CustomerDailyRollup
from dashboard.services import customer_rollup_refresh, rollup_rebuild
from luckygas.delivery.models import Order
from luckygas.delivery.services import OrderLineInput, order_create, order_replace_lines
from tests.dashboard.helpers import delivered_order_at, taipei
from tests.delivery.factories import CustomerFactory, ProductFactory

MONDAY = datetime.date(2026, 11, 9)
TUESDAY = datetime.date(2026, 11, 10)


def direct_customers(period: Period) -> tuple[int, list[tuple[int, int, int]]]:
    """Active customers and the top ten, counted straight from the orders (what the rollups replace)."""
    created = Order.objects.filter(created_at__gte=period.start_moment, created_at__lt=period.end_moment)
    top = (
        created.values("customer_id")
        .annotate(orders=Count("id"), amount=Sum("total_amount"))
        .order_by("-orders", "-amount", "customer_id")[:10]
    )
    return (
        created.values("customer_id").distinct().count(),
        [(row["customer_id"], row["orders"], row["amount"]) for row in top],
    )


def panel_customers(period: Period) -> tuple[int, list[tuple[int, int, int]]]:
    data = compute_customers(period)
    return (
        data["active_customers"],
        [(row["customer_id"], row["orders"], row["amount"]) for row in data["top_customers"]],
    )


def no_events(**_kwargs: object) -> contextlib.AbstractContextManager:
    """In place of `django_capture_on_commit_callbacks`: the test transaction never commits, so the
    orders' events never run, as in a bulk load."""
    return contextlib.nullcontext()


def place(customer, quantity: int, capture) -> Order:
    with capture(execute=True):
        return order_create(
            customer=customer,
            delivery_date=datetime.date.today(),  # noqa: DTZ011  (any day: the panel counts creation days)
            lines=[OrderLineInput(product=ProductFactory(), quantity=quantity)],
        )


@pytest.mark.django_db
def test_panel_equals_a_direct_count_after_orders_are_placed_and_edited(django_capture_on_commit_callbacks):
    # given three customers with different order counts and amounts, one order edited afterwards
    restaurant, household, factory = (CustomerFactory(short_name=name) for name in ("福氣小吃店", "王家", "大發工廠"))
    for quantity in (1, 2, 1):
        place(restaurant, quantity, django_capture_on_commit_callbacks)
    place(household, 1, django_capture_on_commit_callbacks)
    edited = place(factory, 1, django_capture_on_commit_callbacks)
    place(factory, 1, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        order_replace_lines(order=edited, lines=[OrderLineInput(product=ProductFactory(), quantity=5)])
    today = local_today()
    period = Period(today - datetime.timedelta(days=29), today)

    # then the panel's numbers are the orders' own, including the edited amount
    assert panel_customers(period) == direct_customers(period)
    assert panel_customers(period) == (
        3,
        [(restaurant.pk, 3, 4 * 950), (factory.pk, 2, 6 * 950), (household.pk, 1, 950)],
    )
    assert [row["name"] for row in compute_customers(period)["top_customers"]] == ["福氣小吃店", "大發工廠", "王家"]


@pytest.mark.django_db
def test_orders_around_taipei_midnight_count_on_their_own_days(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    delivered_order_at(taipei(2026, 11, 9, 23, 59), customer=customer, capture=django_capture_on_commit_callbacks)
    delivered_order_at(taipei(2026, 11, 10, 0, 1), customer=customer, capture=django_capture_on_commit_callbacks)

    assert list(CustomerDailyRollup.objects.values_list("day", "customer_id", "orders_created", "amount")) == [
        (MONDAY, customer.pk, 1, 950),
        (TUESDAY, customer.pk, 1, 950),
    ]
    assert panel_customers(Period(TUESDAY, TUESDAY)) == (1, [(customer.pk, 1, 950)])
    assert panel_customers(Period(MONDAY, TUESDAY)) == direct_customers(Period(MONDAY, TUESDAY))


@pytest.mark.django_db
def test_rebuild_after_a_bulk_load_gives_the_direct_numbers(django_capture_on_commit_callbacks):
    # given orders whose events never ran (a bulk load), spread over two Taipei days
    customers = [CustomerFactory() for _index in range(4)]
    for index, customer in enumerate(customers):
        for hour in range(index + 1):
            delivered_order_at(taipei(2026, 11, 9, 20 + hour, 0), customer=customer, capture=no_events)
    assert CustomerDailyRollup.objects.count() == 0

    # when the rollups are rebuilt
    rollup_rebuild()

    # then the panel shows what the orders say, per day and over both days
    for period in (Period(MONDAY, MONDAY), Period(TUESDAY, TUESDAY), Period(MONDAY, TUESDAY)):
        assert panel_customers(period) == direct_customers(period)
    assert panel_customers(Period(MONDAY, TUESDAY))[1][0] == (customers[3].pk, 4, 4 * 950)


@pytest.mark.django_db
def test_a_recount_run_twice_changes_nothing(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    delivered_order_at(taipei(2026, 11, 9, 10, 0), customer=customer, capture=django_capture_on_commit_callbacks)
    before = list(CustomerDailyRollup.objects.values_list("day", "customer_id", "orders_created", "amount"))

    customer_rollup_refresh(customer_id=customer.pk, day=MONDAY)
    customer_rollup_refresh(customer_id=customer.pk, day=MONDAY)
    customer_rollup_refresh(customer_id=customer.pk, day=TUESDAY)  # a day without orders writes no row

    assert before == [(MONDAY, customer.pk, 1, 950)]
    assert list(CustomerDailyRollup.objects.values_list("day", "customer_id", "orders_created", "amount")) == before
