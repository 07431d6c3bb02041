"""Event payloads are typed beside the event names: a misspelt field fails at the publisher."""

import datetime
from typing import Any

import pytest
from django.db import transaction

from luckygas.delivery import events

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def received() -> Any:
    calls: list[dict[str, Any]] = []

    def handler(**payload: Any) -> None:
        calls.append(payload)

    for event in (events.ORDER_STATUS_CHANGED, events.DIRECT_DEBIT_SCHEDULED):
        events.subscribe(event, handler)
    yield calls
    for event in (events.ORDER_STATUS_CHANGED, events.DIRECT_DEBIT_SCHEDULED):
        events.unsubscribe(event, handler)


def test_every_delivery_event_has_a_payload_type() -> None:
    names = {value for name, value in vars(events).items() if name.isupper() and isinstance(value, str)}
    assert set(events.PAYLOAD_TYPES) == names


def test_a_misspelt_field_fails_at_the_publisher_and_no_subscriber_is_called(received: list) -> None:
    with pytest.raises(TypeError, match="ordr_id"), transaction.atomic():
        events.publish_on_commit(events.ORDER_STATUS_CHANGED, ordr_id=1, from_status="pending", to_status="confirmed")
    assert received == []


def test_a_missing_field_fails_at_the_publisher(received: list) -> None:
    with pytest.raises(TypeError, match="to_status"):
        events.publish_many_on_commit(events.ORDER_STATUS_CHANGED, [{"order_id": 1, "from_status": "pending"}])
    assert received == []


def test_a_published_payload_reaches_subscribers_with_its_defaults(received: list) -> None:
    with transaction.atomic():
        events.publish_on_commit(events.ORDER_STATUS_CHANGED, order_id=7, from_status="pending", to_status="confirmed")
    assert received == [
        {
            "event": events.ORDER_STATUS_CHANGED,
            "order_id": 7,
            "from_status": "pending",
            "to_status": "confirmed",
            "source": "",
        }
    ]


def test_a_debit_item_with_a_misspelt_key_fails_inside_the_publishing_transaction(received: list) -> None:
    item = {"item_id": "D1", "customer_id": 1, "amount": 1200, "collection_date": datetime.date(2026, 12, 7)}
    with pytest.raises(TypeError, match=r"missing \['invoice_ids'\], unexpected \['invoice_id'\]"):
        events.publish_in_transaction(events.DIRECT_DEBIT_SCHEDULED, items=[{**item, "invoice_id": [3]}])
    assert received == []
    events.publish_in_transaction(events.DIRECT_DEBIT_SCHEDULED, items=[{**item, "invoice_ids": [3]}])
    assert received == [{"event": events.DIRECT_DEBIT_SCHEDULED, "items": [{**item, "invoice_ids": [3]}]}]


def test_a_typed_payload_is_published_under_its_event_name(received: list) -> None:
    with transaction.atomic():
        events.publish(events.OrderStatusChanged(order_id=8, from_status="confirmed", to_status="scheduled"))
        assert received == []
    expected = {"order_id": 8, "from_status": "confirmed", "to_status": "scheduled", "source": ""}
    assert received == [{"event": events.ORDER_STATUS_CHANGED, **expected}]
    assert events.typed(events.ORDER_STATUS_CHANGED, expected) == events.OrderStatusChanged(**expected)


def test_a_misspelt_typed_payload_fails_where_it_is_built() -> None:
    with pytest.raises(TypeError, match="stopid"):
        events.StopChanged(stopid=1, route_id=2)  # type: ignore[call-arg]


def test_a_payload_of_no_event_type_is_refused(received: list) -> None:
    with pytest.raises(TypeError, match="dict_keys is not an event payload type"):
        events.publish_many_on_commit(events.ORDER_STATUS_CHANGED, [{}.keys()])
    assert received == []


def test_a_typed_direct_debit_payload_is_published_inside_the_transaction(received: list) -> None:
    item = {
        "item_id": "D2",
        "customer_id": 1,
        "amount": 800,
        "collection_date": datetime.date(2026, 12, 7),
        "invoice_ids": [4],
    }
    with pytest.raises(TypeError, match="unexpected \\['return_code'\\]"):
        events.publish_in_transaction(events.DirectDebitScheduled(items=[{**item, "return_code": "01"}]))
    assert received == []
    events.publish_in_transaction(events.DirectDebitScheduled(items=[item]))
    assert received == [{"event": events.DIRECT_DEBIT_SCHEDULED, "items": [item]}]
