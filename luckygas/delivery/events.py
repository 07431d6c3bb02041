"""Domain events published by the delivery services after their transaction commits.

Other apps (the dashboard marks metrics dirty, offline sync bumps its change feed, SMS queues
notifications) subscribe in their `AppConfig.ready()`; the core never imports them. A
subscriber that fails is logged and never undoes the business change that already committed.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

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


def publish_on_commit(event: str, **payload: Any) -> None:
    """Call the event's subscribers once the current transaction commits (at once outside one)."""
    publish_many_on_commit(event, [payload])


def publish_many_on_commit(event: str, payloads: Sequence[dict[str, Any]]) -> None:
    """Publish several facts of one kind together after commit (see `subscribe_many`)."""
    if payloads:
        batch = list(payloads)
        transaction.on_commit(lambda: _deliver(event, batch))


def publish_in_transaction(event: str, **payload: Any) -> None:
    """Call the event's subscribers now, inside the caller's transaction.

    For subscribers that write an outbox row which must commit or roll back together with the
    business change (the transactional outbox). A failing subscriber raises, so the caller's
    transaction rolls back: both facts are kept or neither is. Subscribers must only write rows.
    """
    for handler in list(_many_subscribers[event]):
        handler(event=event, payloads=[payload])
    for handler in list(_subscribers[event]):
        handler(event=event, **payload)
