import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from luckygas.delivery import events, services
from luckygas.delivery.models import InvoiceStatus, OrderStatus, Payment, RouteStop, StopStatus
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
