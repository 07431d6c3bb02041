"""Banking events, published through the core event bus so other apps can subscribe.

`BATCH_CHANGED` goes out after commit. The direct-debit events (the customer's payment-due and
returned-debit SMS) are published inside the business transaction, so a subscriber's outbox
row commits or rolls back with the change; their payload is documented in
`luckygas.delivery.events`.
"""

from luckygas.delivery.events import (
    DIRECT_DEBIT_RETURNED,
    DIRECT_DEBIT_SCHEDULED,
    publish_in_transaction,
    publish_on_commit,
    subscribe,
    unsubscribe,
)

BATCH_CHANGED = "banking.batch_changed"

__all__ = [
    "BATCH_CHANGED",
    "DIRECT_DEBIT_RETURNED",
    "DIRECT_DEBIT_SCHEDULED",
    "publish_in_transaction",
    "publish_on_commit",
    "subscribe",
    "unsubscribe",
]
