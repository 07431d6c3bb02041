"""Banking events, published through the core event bus (after commit) so other apps can subscribe."""

from luckygas.delivery.events import publish_on_commit, subscribe

BATCH_CHANGED = "banking.batch_changed"

__all__ = ["BATCH_CHANGED", "publish_on_commit", "subscribe"]
