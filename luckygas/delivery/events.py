"""Domain events published by the delivery services after their transaction commits.

Other apps (the dashboard marks metrics dirty, offline sync bumps its change feed, SMS queues
notifications) subscribe in their `AppConfig.ready()`; the core never imports them. A
subscriber that fails is logged and never undoes the business change that already committed.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

ORDER_CREATED = "order.created"
ORDER_UPDATED = "order.updated"
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


def subscribe(event: str, handler: Handler) -> None:
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def unsubscribe(event: str, handler: Handler) -> None:
    if handler in _subscribers[event]:
        _subscribers[event].remove(handler)


def publish_on_commit(event: str, **payload: Any) -> None:
    """Call the event's subscribers once the current transaction commits (at once outside one)."""

    def deliver() -> None:
        for handler in list(_subscribers[event]):
            try:
                handler(event=event, **payload)
            except Exception:
                logger.exception("subscriber of %s failed", event, extra={"handler": repr(handler)})

    transaction.on_commit(deliver)


def publish_in_transaction(event: str, **payload: Any) -> None:
    """Call the event's subscribers now, inside the caller's transaction.

    For subscribers that write an outbox row which must commit or roll back together with the
    business change (the transactional outbox). A failing subscriber raises, so the caller's
    transaction rolls back: both facts are kept or neither is. Subscribers must only write rows.
    """
    for handler in list(_subscribers[event]):
        handler(event=event, **payload)
