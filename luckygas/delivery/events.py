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
