"""Event handlers: business events update the rollups and mark live metrics dirty; Celery task
failures feed the system-health panel. Subscribed in DashboardConfig.ready()."""

from typing import Any

from dashboard.live import mark_dirty, record_task_failure
from dashboard.metrics import EVENT_METRICS
from dashboard.services import (
    rollup_record_order_created,
    rollup_record_order_updated,
    rollup_record_status_changes,
)
from luckygas.delivery import events


def on_order_created(*, event: str, **payload: Any) -> None:
    created: events.OrderCreated = events.typed(event, payload)
    rollup_record_order_created(order_id=created.order_id)
    mark_dirty(*EVENT_METRICS[event])


def on_order_status_changes(*, event: str, payloads: list[dict[str, Any]]) -> None:
    changes: list[events.OrderStatusChanged] = [events.typed(event, payload) for payload in payloads]
    rollup_record_status_changes(changes=[(change.order_id, change.to_status) for change in changes])
    mark_dirty(*EVENT_METRICS[event])


def on_order_updated(*, event: str, **payload: Any) -> None:
    updated: events.OrderUpdated = events.typed(event, payload)
    rollup_record_order_updated(order_id=updated.order_id)
    mark_dirty(*EVENT_METRICS[event])


def on_other_events(*, event: str, payloads: list[dict[str, Any]]) -> None:
    mark_dirty(*EVENT_METRICS[event])  # once for all the facts published together


def on_task_failure(sender: Any = None, exception: BaseException | None = None, **_kwargs: Any) -> None:
    record_task_failure(task_name=getattr(sender, "name", str(sender)), exception_type=type(exception).__name__)
