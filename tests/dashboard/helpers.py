import datetime

from django.db import transaction

from dashboard.services import (
    rollup_record_order_created,
)
from luckygas.delivery.models import Order, OrderStatus
from luckygas.delivery.services import OrderLineInput, order_create, order_transition
from tests.delivery.factories import CustomerFactory, ProductFactory
from tests.helpers import TAIPEI, taipei  # noqa: F401  (re-exported for tests/dashboard)


def delivered_order_at(moment: datetime.datetime, *, customer=None, capture=None) -> Order:
    """An order created and delivered at `moment` through the services; its events run after commit.

    `capture` is pytest-django's `django_capture_on_commit_callbacks`: the events fire after the
    timestamps are moved to `moment`, as they would for an order really placed then.
    """
    customer = customer or CustomerFactory()
    product = ProductFactory()
    with capture(execute=True), transaction.atomic():
        order = order_create(
            customer=customer, delivery_date=moment.date(), lines=[OrderLineInput(product=product, quantity=1)]
        )
        for status in (
            OrderStatus.CONFIRMED,
            OrderStatus.SCHEDULED,
            OrderStatus.OUT_FOR_DELIVERY,
            OrderStatus.DELIVERED,
        ):
            order_transition(order=order, to_status=status)
        Order.objects.filter(pk=order.pk).update(created_at=moment, delivered_at=moment, status_changed_at=moment)
    order.refresh_from_db()
    return order


__all__ = ["delivered_order_at", "rollup_record_order_created", "taipei"]
