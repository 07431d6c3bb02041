"""Recurring orders: the dates a template gives, and the run that turns them into orders once."""

import datetime
import threading

import pytest
from dateutil import rrule
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from hypothesis import given, settings
from hypothesis import strategies as st

from luckygas.delivery import services
from luckygas.delivery.models import (
    Order,
    OrderPriority,
    OrderTemplate,
    PaymentMethod,
    Recurrence,
    RecurringOrder,
    RecurringOutcome,
)
from luckygas.delivery.services import OrderLineInput
from luckygas.delivery.tasks import create_recurring_orders
from tests.delivery.factories import CustomerFactory, ProductFactory
from tests.threads import Worker

MONDAY = datetime.date(2027, 3, 1)


def expected_dates(template: OrderTemplate, until: datetime.date) -> set[datetime.date]:
    """An independent expansion of the rule: dateutil's RFC 5545 recurrence."""
    start = datetime.datetime.combine(template.starts_on, datetime.time())
    end = datetime.datetime.combine(min(until, template.ends_on or until), datetime.time())
    if template.recurrence == Recurrence.DAILY:
        rule = rrule.rrule(rrule.DAILY, interval=template.interval, dtstart=start, until=end)
    elif template.recurrence == Recurrence.WEEKLY:
        weekdays = template.weekdays or [template.starts_on.weekday()]
        rule = rrule.rrule(
            rrule.WEEKLY, interval=template.interval, byweekday=weekdays, wkst=rrule.MO, dtstart=start, until=end
        )
    else:
        # The wanted day, or the month's last day when it is shorter: the earlier of the two.
        day = template.day_of_month or template.starts_on.day
        rule = rrule.rrule(
            rrule.MONTHLY, interval=template.interval, bymonthday=(day, -1), bysetpos=1, dtstart=start, until=end
        )
    return {moment.date() for moment in rule}


templates = st.builds(
    lambda recurrence, interval, weekdays, day, start_offset, length: OrderTemplate(
        recurrence=recurrence,
        interval=interval,
        weekdays=sorted(weekdays) if recurrence == Recurrence.WEEKLY else [],
        day_of_month=day if recurrence == Recurrence.MONTHLY else None,
        starts_on=MONDAY + datetime.timedelta(days=start_offset),
        ends_on=None if length is None else MONDAY + datetime.timedelta(days=start_offset + length),
    ),
    recurrence=st.sampled_from(list(Recurrence)),
    interval=st.integers(1, 5),
    weekdays=st.sets(st.integers(0, 6), max_size=7),
    day=st.one_of(st.none(), st.integers(1, 31)),
    start_offset=st.integers(0, 400),
    length=st.one_of(st.none(), st.integers(0, 300)),
)


@given(template=templates)
@settings(max_examples=300, deadline=None)
def test_the_dates_a_template_gives_match_an_independent_recurrence_expansion(template):
    until = template.starts_on + datetime.timedelta(days=420)
    window = [template.starts_on + datetime.timedelta(days=offset) for offset in range(-3, 421)]
    given_dates = {day for day in window if services.order_template_is_due(template=template, on=day)}
    assert given_dates == expected_dates(template, until)


def test_a_monthly_template_on_the_31st_comes_on_the_last_day_of_shorter_months():
    template = OrderTemplate(recurrence=Recurrence.MONTHLY, interval=1, day_of_month=31, starts_on=MONDAY)
    dates = services.order_template_next_dates(template=template, after=datetime.date(2027, 3, 1), count=4)
    assert dates == [
        datetime.date(2027, 3, 31),
        datetime.date(2027, 4, 30),
        datetime.date(2027, 5, 31),
        datetime.date(2027, 6, 30),
    ]
    leap = services.order_template_next_dates(template=template, after=datetime.date(2028, 1, 31), count=1)
    assert leap == [datetime.date(2028, 2, 29)]


def make_template(*, customer=None, quantity: int = 2, **fields) -> OrderTemplate:
    customer = customer or CustomerFactory()
    defaults = {"name": "每週瓦斯", "recurrence": Recurrence.WEEKLY, "weekdays": [0, 3], "starts_on": MONDAY}
    return services.order_template_create(
        customer=customer,
        lines=[OrderLineInput(product=ProductFactory(), quantity=quantity)],
        **{**defaults, **fields},
    )


@pytest.mark.django_db
def test_a_due_template_becomes_one_order_priced_as_order_create_prices_it():
    # given a weekly Monday/Thursday template, urgent, paid by monthly invoice, with notes
    template = make_template(
        priority=OrderPriority.URGENT, payment_method=PaymentMethod.MONTHLY_INVOICE, delivery_notes="後門進"
    )
    # when the run for a Thursday happens twice
    first = services.recurring_orders_create_due(for_date=MONDAY + datetime.timedelta(days=3))
    second = services.recurring_orders_create_due(for_date=MONDAY + datetime.timedelta(days=3))
    # then one order exists, priced at the product's price, with the template's details
    order = Order.objects.get()
    assert [occurrence.order for occurrence in first.created] == [order]
    assert second.created == []
    assert second.skipped == []
    assert order.delivery_date == MONDAY + datetime.timedelta(days=3)
    assert order.total_amount == 2 * 950
    assert [(line.quantity, line.unit_price) for line in order.lines.all()] == [(2, 950)]
    assert order.priority == OrderPriority.URGENT
    assert order.payment_method == PaymentMethod.MONTHLY_INVOICE
    assert order.notes == "後門進"
    assert order.slot == template.customer.preferred_slot
    assert order.recurrence.template == template


@pytest.mark.django_db
def test_a_day_the_template_is_not_due_creates_nothing():
    make_template()
    run = services.recurring_orders_create_due(for_date=MONDAY + datetime.timedelta(days=1))  # a Tuesday
    assert run.created == []
    assert run.skipped == []
    assert not Order.objects.exists()
    assert not RecurringOrder.objects.exists()


@pytest.mark.django_db
def test_the_customers_closed_day_is_skipped_and_recorded_with_its_reason():
    customer = CustomerFactory(closed_days=[0])
    template = make_template(customer=customer)
    run = services.recurring_orders_create_due(for_date=MONDAY)
    assert not Order.objects.exists()
    occurrence = RecurringOrder.objects.get()
    assert run.skipped == [occurrence]
    assert (occurrence.template, occurrence.outcome, occurrence.order) == (template, RecurringOutcome.CLOSED, None)
    assert occurrence.reason


@pytest.mark.django_db
def test_a_product_no_longer_sold_is_refused_and_recorded_not_dropped():
    template = make_template()
    template.lines.get().product.__class__.objects.update(is_active=False)
    run = services.recurring_orders_create_due(for_date=MONDAY)
    assert not Order.objects.exists()
    occurrence = RecurringOrder.objects.get()
    assert run.skipped == [occurrence]
    assert occurrence.outcome == RecurringOutcome.REFUSED
    assert occurrence.reason == "20 公斤桶裝瓦斯 已停售。"


@pytest.mark.django_db
def test_inactive_and_ended_templates_and_inactive_customers_create_nothing():
    inactive = make_template()
    OrderTemplate.objects.filter(pk=inactive.pk).update(is_active=False)
    make_template(ends_on=MONDAY - datetime.timedelta(days=1), starts_on=MONDAY - datetime.timedelta(days=14))
    gone = make_template(customer=CustomerFactory(is_active=False))
    assert gone.pk
    run = services.recurring_orders_create_due(for_date=MONDAY)
    assert run.created == []
    assert not Order.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"weekdays": [7]}, "weekdays"),
        ({"recurrence": Recurrence.DAILY, "weekdays": [1]}, "weekdays"),
        ({"recurrence": Recurrence.WEEKLY, "day_of_month": 5}, "day_of_month"),
        ({"interval": 0}, "interval"),
        ({"ends_on": MONDAY - datetime.timedelta(days=1)}, "ends_on"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_template_is_refused_naming_the_field_and_nothing_is_saved(fields, field):
    with pytest.raises(ValidationError) as refused:
        make_template(**fields)
    assert field in refused.value.message_dict
    assert not OrderTemplate.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_create_one_order_per_template_and_date():
    templates = [make_template() for _ in range(6)]
    barrier = threading.Barrier(2)

    def run() -> services.RecurringRun:
        barrier.wait(timeout=30)
        return services.recurring_orders_create_due(for_date=MONDAY)

    workers = [Worker(run).start() for _ in range(2)]
    results = [worker.result(120) for worker in workers]
    assert Order.objects.count() == len(templates)
    assert RecurringOrder.objects.count() == len(templates)
    assert sum(len(result.created) for result in results) == len(templates)


@pytest.mark.django_db
def test_the_evening_beat_entry_creates_tomorrows_orders():
    entry = PeriodicTask.objects.get(task="luckygas.delivery.tasks.create_recurring_orders")
    assert entry.enabled
    assert entry.crontab.hour == "18"
    assert str(entry.crontab.timezone) == "Asia/Taipei"
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    make_template(recurrence=Recurrence.DAILY, weekdays=[], starts_on=tomorrow - datetime.timedelta(days=7))
    assert create_recurring_orders() == {"created": 1, "skipped": 0, "already_done": 0}
    assert Order.objects.get().delivery_date == tomorrow
