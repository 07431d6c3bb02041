import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from luckygas.delivery import events, services
from luckygas.delivery.models import (
    InvoiceStatus,
    Order,
    OrderStatus,
    OrderStatusChange,
    Payment,
    RouteStop,
    StopStatus,
)
from tests.delivery.factories import CustomerFactory, InvoiceFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_order_create_prices_lines_and_publishes_after_commit(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    seen = []
    handler = lambda **payload: seen.append(payload)  # noqa: E731
    events.subscribe(events.ORDER_CREATED, handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order = services.order_create(
                customer=customer,
                delivery_date=timezone.localdate(),
                lines=[services.OrderLineInput(product=ProductFactory(), quantity=2)],
            )
    finally:
        events.unsubscribe(events.ORDER_CREATED, handler)
    assert order.total_amount == 1900
    assert order.status == OrderStatus.PENDING
    assert order.payment_method == customer.payment_method
    assert seen == [{"event": "order.created", "order_id": order.pk}]


def test_order_create_without_lines_names_the_field():
    with pytest.raises(ValidationError) as raised:
        services.order_create(customer=CustomerFactory(), delivery_date=timezone.localdate(), lines=[])
    assert "lines" in raised.value.message_dict


def test_assign_orders_creates_stops_in_order_and_schedules(driver_a):
    orders = [OrderFactory(status=OrderStatus.CONFIRMED) for _ in range(3)]

    route = services.route_assign_orders(driver=driver_a, date=timezone.localdate(), orders=orders)

    assert list(route.stops.values_list("order_id", "sequence")) == [(o.pk, i) for i, o in enumerate(orders, 1)]
    assert {o.status for o in type(orders[0]).objects.filter(pk__in=[o.pk for o in orders])} == {"scheduled"}


def test_assign_refuses_pending_orders_and_assigns_nothing(driver_a):
    confirmed, pending = OrderFactory(status=OrderStatus.CONFIRMED), OrderFactory()

    with pytest.raises(ValidationError) as raised:
        services.route_assign_orders(driver=driver_a, date=timezone.localdate(), orders=[confirmed, pending])

    assert "orders" in raised.value.message_dict
    assert not RouteStop.objects.exists()
    confirmed.refresh_from_db()
    assert confirmed.status == OrderStatus.CONFIRMED


def test_stop_outcome_delivers_the_order_and_a_final_stop_never_changes(driver_a):
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    route = services.route_assign_orders(driver=driver_a, date=timezone.localdate(), orders=[order])
    stop = route.stops.get()
    at = timezone.now() - datetime.timedelta(minutes=5)

    services.route_stop_record_outcome(stop=stop, status=StopStatus.DELIVERED, completed_at=at, cash_collected=950)

    stop.refresh_from_db()
    order.refresh_from_db()
    assert (stop.status, stop.completed_at, stop.cash_collected, stop.version) == ("delivered", at, 950, 2)
    assert order.status == OrderStatus.DELIVERED
    with pytest.raises(ValidationError):
        services.route_stop_record_outcome(stop=stop, status=StopStatus.FAILED, completed_at=at)
    stop.refresh_from_db()
    assert (stop.status, stop.version) == ("delivered", 2)


def test_cancelling_a_scheduled_order_cancels_its_stop_and_bumps_its_version(driver_a):
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    stop = services.route_assign_orders(driver=driver_a, date=timezone.localdate(), orders=[order]).stops.get()

    services.order_cancel(order=order, reason="客戶取消")

    stop.refresh_from_db()
    assert (stop.status, stop.version) == (StopStatus.CANCELLED, 2)


def test_payment_with_reference_is_recorded_once_and_closes_the_invoice():
    invoice = InvoiceFactory(amount=1900)

    first = services.invoice_record_payment(invoice=invoice, amount=1900, channel="direct_debit", reference="ACH-1")
    again = services.invoice_record_payment(invoice=invoice, amount=1900, channel="direct_debit", reference="ACH-1")

    assert first.pk == again.pk
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


@pytest.mark.parametrize("amount", [0, -5, 10.5])
def test_payment_amount_must_be_positive_whole_dollars(amount):
    invoice = InvoiceFactory()
    with pytest.raises(ValidationError) as raised:
        services.invoice_record_payment(invoice=invoice, amount=amount, channel="cash")
    assert "amount" in raised.value.message_dict
    assert not Payment.objects.exists()


def _started_route(driver, *, stops: int, date: datetime.date | None = None):
    orders = [OrderFactory(status=OrderStatus.CONFIRMED) for _ in range(stops)]
    route = services.route_assign_orders(driver=driver, date=date or timezone.localdate(), orders=orders)
    return services.route_start(route=route)


def test_stop_batch_records_ten_outcomes_with_a_constant_number_of_queries(driver_a, django_assert_num_queries):
    # given ten stops of a started route, locked together
    route = _started_route(driver_a, stops=10)
    stop_ids = list(route.stops.values_list("pk", flat=True))
    at = timezone.now()
    # the savepoint pair, the lock, then one query each for the history rows, the orders and the stops
    with django_assert_num_queries(6), transaction.atomic():
        stops = services.route_stops_lock(stop_ids=stop_ids)
        batch = services.RouteStopBatch()
        for index, stop in enumerate(stops.values()):
            status = StopStatus.DELIVERED if index % 2 == 0 else StopStatus.FAILED
            batch.record_outcome(stop=stop, status=status, completed_at=at, cash_collected=950 * (index % 2 == 0))
        batch.save()
    # then every stop and its order moved, each once
    assert sorted(route.stops.values_list("status", "version", "cash_collected")) == sorted(
        [(StopStatus.DELIVERED, 2, 950)] * 5 + [(StopStatus.FAILED, 2, 0)] * 5
    )
    assert Order.objects.filter(stop__route=route, status=OrderStatus.DELIVERED).count() == 5
    assert Order.objects.filter(stop__route=route, status=OrderStatus.FAILED).count() == 5
    assert OrderStatusChange.objects.filter(order__stop__route=route, changed_at__gte=at).count() == 10


def test_stop_batch_refuses_a_second_final_outcome_and_keeps_the_first(driver_a):
    route = _started_route(driver_a, stops=1)
    at = timezone.now()
    with transaction.atomic():
        stop = next(iter(services.route_stops_lock(stop_ids=[route.stops.get().pk]).values()))
        batch = services.RouteStopBatch()
        batch.record_outcome(stop=stop, status=StopStatus.DELIVERED, completed_at=at, cash_collected=950)
        with pytest.raises(services.IllegalTransitionError):
            batch.record_outcome(stop=stop, status=StopStatus.FAILED, completed_at=at)
        with pytest.raises(ValidationError) as raised:
            batch.add_cash(stop=stop, amount=0)
        assert "amount" in raised.value.message_dict
        batch.add_cash(stop=stop, amount=50)
        batch.save()
    stop.refresh_from_db()
    assert (stop.status, stop.cash_collected, stop.version) == (StopStatus.DELIVERED, 1000, 3)
    assert stop.order.status_changes.filter(to_status=OrderStatus.FAILED).count() == 0


def test_skipped_stop_can_still_be_delivered_in_the_same_batch(driver_a):
    route = _started_route(driver_a, stops=1)
    at = timezone.now()
    with transaction.atomic():
        stop = next(iter(services.route_stops_lock(stop_ids=[route.stops.get().pk]).values()))
        batch = services.RouteStopBatch()
        batch.record_outcome(stop=stop, status=StopStatus.SKIPPED, completed_at=at, note="沒人在家")
        batch.record_outcome(stop=stop, status=StopStatus.DELIVERED, completed_at=at, empties_collected=1)
        batch.save()
    stop.refresh_from_db()
    assert (stop.status, stop.empties_collected, stop.version) == (StopStatus.DELIVERED, 1, 3)
    assert stop.order.status == OrderStatus.DELIVERED


def test_reassign_moves_a_stop_to_the_end_of_another_route_and_announces_both(
    driver_a, driver_b, django_capture_on_commit_callbacks
):
    # given two started routes of the same day
    route_a = _started_route(driver_a, stops=2)
    route_b = _started_route(driver_b, stops=1)
    stop = route_a.stops.order_by("sequence").first()
    seen = []
    handler = lambda **payload: seen.append(payload["route_id"])  # noqa: E731
    events.subscribe(events.ROUTE_CHANGED, handler)
    # when the dispatcher moves the first stop of A to B
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.route_stop_reassign(stop=stop, route=route_b)
    finally:
        events.unsubscribe(events.ROUTE_CHANGED, handler)
    # then it is B's last stop, with a new version, and both routes announced the change
    stop.refresh_from_db()
    assert (stop.route_id, stop.sequence, stop.version, stop.status) == (route_b.pk, 2, 2, StopStatus.PENDING)
    assert sorted(seen) == sorted([route_a.pk, route_b.pk])
    assert route_a.stops.count() == 1


def test_reassign_of_a_final_stop_or_to_another_day_names_the_route_and_changes_nothing(driver_a, driver_b):
    route_a = _started_route(driver_a, stops=2)
    route_b = _started_route(driver_b, stops=1)
    tomorrow = _started_route(driver_b, stops=1, date=timezone.localdate() + datetime.timedelta(days=1))
    delivered, pending = route_a.stops.order_by("sequence")
    services.route_stop_record_outcome(stop=delivered, status=StopStatus.DELIVERED, completed_at=timezone.now())
    for stop, target in [(delivered, route_b), (pending, tomorrow), (pending, route_a)]:
        with pytest.raises(ValidationError) as raised:
            services.route_stop_reassign(stop=stop, route=target)
        assert list(raised.value.message_dict) == ["route"]
    assert sorted(route_a.stops.values_list("pk", "version")) == sorted([(delivered.pk, 2), (pending.pk, 1)])
    assert route_b.stops.count() == 1
