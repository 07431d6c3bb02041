import itertools

import pytest
from django.core.exceptions import ValidationError

from luckygas.delivery import services
from luckygas.delivery.models import OrderStatus, OrderStatusChange
from tests.delivery.factories import OrderFactory

LEGAL = [(source, target) for source, targets in services.ALLOWED_ORDER_TRANSITIONS.items() for target in targets]
ILLEGAL = [
    (source, target)
    for source, target in itertools.product(OrderStatus.values, OrderStatus.values)
    if (source, target) not in LEGAL
]


def test_life_cycle_matches_the_documented_one():
    assert set(LEGAL) == {
        ("pending", "confirmed"),
        ("pending", "cancelled"),
        ("confirmed", "scheduled"),
        ("confirmed", "cancelled"),
        ("scheduled", "out_for_delivery"),
        ("scheduled", "cancelled"),
        ("out_for_delivery", "delivered"),
        ("out_for_delivery", "failed"),
        ("out_for_delivery", "cancelled"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), LEGAL)
def test_legal_transition_changes_status_and_records_history(source, target, office_clerk):
    order = OrderFactory(status=source)

    services.order_transition(order=order, to_status=target, actor=office_clerk)

    order.refresh_from_db()
    assert order.status == target
    change = OrderStatusChange.objects.get(order=order)
    assert (change.from_status, change.to_status, change.changed_by) == (source, target, office_clerk)
    assert (order.delivered_at is not None) == (target == OrderStatus.DELIVERED)


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_illegal_transition_raises_and_changes_nothing(source, target):
    order = OrderFactory(status=source)
    before = order.updated_at

    with pytest.raises(ValidationError) as raised:
        services.order_transition(order=order, to_status=target)

    assert "status" in raised.value.message_dict
    order.refresh_from_db()
    assert order.status == source
    assert order.updated_at == before
    assert not OrderStatusChange.objects.filter(order=order).exists()
