"""Domain events published by the delivery services after their transaction commits.

Other apps (the dashboard marks metrics dirty, offline sync bumps its change feed, SMS queues
notifications) subscribe in their `AppConfig.ready()`; the core never imports them. A
subscriber that fails is logged and never undoes the business change that already committed.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar, dataclass_transform

from django.db import transaction

logger = logging.getLogger(__name__)

ORDER_CREATED = "order.created"
ORDER_UPDATED = "order.updated"
# ORDER_STATUS_CHANGED: order_id, from_status, to_status; STOP_CHANGED: stop_id, route_id. Both may
# carry `source`, the RouteStopBatch's caller ("driver_sync" for a driver's push), so the app that
# records its own changes can skip them. A RouteStopBatch publishes its changes together
# (`publish_many_on_commit`): a sync batch of ten deliveries reaches a `subscribe_many`
# subscriber as one call.
ORDER_STATUS_CHANGED = "order.status_changed"
ROUTE_CHANGED = "route.changed"
STOP_CHANGED = "stop.changed"
INVOICE_PAID = "invoice.paid"
PAYMENT_RECORDED = "payment.recorded"
# Published by banking with `publish_in_transaction`, once per batch or return file, so a
# subscriber's outbox rows (SMS) are written in the same transaction as the debits they are about.
# Payload (keyword arguments): `items`, a list of dicts, one per debit item:
#   DIRECT_DEBIT_SCHEDULED (the collection file reached the bank, SFTP or manual upload):
#       item_id (str, unique per debit item), customer_id (int), amount (int TWD),
#       collection_date (datetime.date), invoice_ids (list[int])
#   DIRECT_DEBIT_RETURNED (a return file was applied): the same keys plus
#       return_code (str, the ACH return code such as "01") and will_retry (bool)
# A batch can hold 100,000 items: subscribers must write in bulk (no per-item queries).
DIRECT_DEBIT_SCHEDULED = "direct_debit.scheduled"
DIRECT_DEBIT_RETURNED = "direct_debit.returned"


# --- Payload types: one per event, checked when published -------------------------------------
# A publisher's misspelt or missing field raises TypeError at the publisher (inside its
# transaction), instead of reaching subscribers as a payload they cannot read.

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, kw_only_default=True)
def _payload(cls: type[_T]) -> type[_T]:
    """An event payload type: a frozen dataclass whose fields are passed by keyword."""
    return dataclass(frozen=True, kw_only=True)(cls)


@_payload
class OrderCreated:
    order_id: int


@_payload
class OrderUpdated:
    order_id: int


@_payload
class OrderStatusChanged:
    order_id: int
    from_status: str
    to_status: str
    source: str = ""


@_payload
class RouteChanged:
    route_id: int


@_payload
class StopChanged:
    stop_id: int
    route_id: int
    source: str = ""


@_payload
class InvoicePaid:
    invoice_id: int


@_payload
class PaymentRecorded:
    payment_id: int
    invoice_id: int


@_payload
class DirectDebitItem:
    """One debit item of `DIRECT_DEBIT_SCHEDULED` (items travel as dicts with exactly these keys)."""

    item_id: str
    customer_id: int
    amount: int
    collection_date: datetime.date
    invoice_ids: list[int]


@_payload
class DirectDebitReturnedItem(DirectDebitItem):
    return_code: str
    will_retry: bool


@_payload
class DirectDebitScheduled:
    items: list[dict[str, Any]]


@_payload
class DirectDebitReturned:
    items: list[dict[str, Any]]


PAYLOAD_TYPES: dict[str, type] = {
    ORDER_CREATED: OrderCreated,
    ORDER_UPDATED: OrderUpdated,
    ORDER_STATUS_CHANGED: OrderStatusChanged,
    ROUTE_CHANGED: RouteChanged,
    STOP_CHANGED: StopChanged,
    INVOICE_PAID: InvoicePaid,
    PAYMENT_RECORDED: PaymentRecorded,
    DIRECT_DEBIT_SCHEDULED: DirectDebitScheduled,
    DIRECT_DEBIT_RETURNED: DirectDebitReturned,
}
ITEM_TYPES: dict[str, type] = {DIRECT_DEBIT_SCHEDULED: DirectDebitItem, DIRECT_DEBIT_RETURNED: DirectDebitReturnedItem}


EVENT_NAMES: dict[type, str] = {payload_type: event for event, payload_type in PAYLOAD_TYPES.items()}


def _fields(payload: Any) -> dict[str, Any]:
    """A typed payload as the dict subscribers receive; a dict as it is."""
    if isinstance(payload, dict):
        return payload
    if type(payload) not in EVENT_NAMES:
        raise TypeError(f"{type(payload).__name__} is not an event payload type")
    return {field.name: getattr(payload, field.name) for field in fields(payload)}


def typed(event: str, payload: dict[str, Any]) -> Any:
    """A received payload as its event's type (for subscribers: `typed(event, payload).order_id`)."""
    return PAYLOAD_TYPES[event](**payload)


def payload_checked(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with its defaults, or TypeError naming a misspelt or missing field.

    Events other apps define for themselves (banking's `batch.changed`) have no type here and
    pass as they are.
    """
    payload_type = PAYLOAD_TYPES.get(event)
    if payload_type is None:
        return payload
    typed = payload_type(**payload)  # TypeError: "unexpected keyword argument 'ordr_id'"
    item_type = ITEM_TYPES.get(event)
    if item_type is not None:
        # Key sets only, not one dataclass per item: a return file can hold 100,000 items.
        expected = frozenset(field.name for field in fields(item_type))
        for item in typed.items:
            if item.keys() != expected:
                missing, unexpected = sorted(expected - item.keys()), sorted(item.keys() - expected)
                raise TypeError(f"{event} item: missing {missing}, unexpected {unexpected}")
    return {field.name: getattr(typed, field.name) for field in fields(typed)}


Handler = Callable[..., None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)
_many_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    """`handler(event=…, **payload)` once per published fact."""
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def subscribe_many(event: str, handler: Handler) -> None:
    """`handler(event=…, payloads=[…])` once per publication, with every fact published together.

    For subscribers whose work is cheaper in bulk (one statement for a whole sync batch of stops
    instead of one per stop). A single fact arrives as a list of one.
    """
    if handler not in _many_subscribers[event]:
        _many_subscribers[event].append(handler)


def unsubscribe(event: str, handler: Handler) -> None:
    for registry in (_subscribers, _many_subscribers):
        if handler in registry[event]:
            registry[event].remove(handler)


def _deliver(event: str, payloads: list[dict[str, Any]]) -> None:
    for handler in list(_many_subscribers[event]):
        try:
            handler(event=event, payloads=payloads)
        except Exception:
            logger.exception("subscriber of %s failed", event, extra={"handler": repr(handler)})
    for payload in payloads:
        for handler in list(_subscribers[event]):
            try:
                handler(event=event, **payload)
            except Exception:
                logger.exception("subscriber of %s failed", event, extra={"handler": repr(handler)})


def publish(payload: Any) -> None:
    """Publish a typed payload (`OrderCreated(order_id=…)`) once the current transaction commits."""
    publish_many_on_commit(EVENT_NAMES[type(payload)], [payload])


def publish_on_commit(event: str, **payload: Any) -> None:
    """Call the event's subscribers once the current transaction commits (at once outside one)."""
    publish_many_on_commit(event, [payload])


def publish_many_on_commit(event: str, payloads: Sequence[Any]) -> None:
    """Publish several facts of one kind together after commit (see `subscribe_many`).

    Each fact is a typed payload of the event (`StopChanged(…)`) or a dict of its fields.
    """
    if payloads:
        batch = [payload_checked(event, _fields(payload)) for payload in payloads]
        transaction.on_commit(lambda: _deliver(event, batch))


def publish_in_transaction(event: Any, **payload: Any) -> None:
    """Call the event's subscribers now, inside the caller's transaction.

    `event` is an event name with the payload's fields as keywords, or a typed payload alone
    (`publish_in_transaction(DirectDebitScheduled(items=…))`).

    For subscribers that write an outbox row which must commit or roll back together with the
    business change (the transactional outbox). A failing subscriber raises, so the caller's
    transaction rolls back: both facts are kept or neither is. Subscribers must only write rows.
    """
    if not isinstance(event, str):
        if payload:
            raise TypeError("a typed payload is published alone, without keyword fields")
        event, payload = EVENT_NAMES[type(event)], _fields(event)
    payload = payload_checked(event, payload)
    for handler in list(_many_subscribers[event]):
        handler(event=event, payloads=[payload])
    for handler in list(_subscribers[event]):
        handler(event=event, **payload)
