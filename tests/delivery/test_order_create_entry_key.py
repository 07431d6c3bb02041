"""`order_create` with an entry key: the same order form submitted twice, even at once, makes one order."""

import threading
import uuid

import pytest
from django.utils import timezone

from luckygas.delivery.models import Order, OrderLine
from luckygas.delivery.services import OrderLineInput, order_create
from tests.delivery.factories import CustomerFactory, ProductFactory
from tests.threads import Worker, start_all


@pytest.mark.django_db
def test_a_repeated_entry_key_returns_the_first_order_unchanged():
    # given
    customer = CustomerFactory()
    gas = ProductFactory()
    key = uuid.uuid4()
    first = order_create(
        customer=customer, delivery_date=timezone.localdate(), lines=[OrderLineInput(gas, 2)], entry_key=key
    )
    # when
    again = order_create(
        customer=customer, delivery_date=timezone.localdate(), lines=[OrderLineInput(gas, 5)], entry_key=key
    )
    # then
    assert again.pk == first.pk
    assert list(OrderLine.objects.values_list("order_id", "quantity")) == [(first.pk, 2)]


@pytest.mark.django_db(transaction=True)
def test_the_same_entry_key_submitted_twice_at_once_makes_one_order():
    # given: two web workers handle the same form's two submissions at the same moment
    customer = CustomerFactory()
    gas = ProductFactory()
    key = uuid.uuid4()
    start = threading.Barrier(2)

    def submit() -> int:
        start.wait(timeout=10)
        order = order_create(
            customer=customer, delivery_date=timezone.localdate(), lines=[OrderLineInput(gas, 1)], entry_key=key
        )
        return order.pk

    # when
    workers = start_all(Worker(submit) for _ in range(2))
    made = {worker.result(timeout=30) for worker in workers}
    # then
    assert made == set(Order.objects.values_list("pk", flat=True))
    assert len(made) == 1
    assert OrderLine.objects.count() == 1
