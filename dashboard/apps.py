from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _on_order_created(*, event: str, **payload: Any) -> None:
    from dashboard.live import mark_dirty
    from dashboard.metrics import EVENT_METRICS
    from dashboard.services import rollup_record_order_created
    from luckygas.delivery import events

    created: events.OrderCreated = events.typed(event, payload)
    rollup_record_order_created(order_id=created.order_id)
    mark_dirty(*EVENT_METRICS[event])


def _on_order_status_changes(*, event: str, payloads: list[dict[str, Any]]) -> None:
    from dashboard.live import mark_dirty
    from dashboard.metrics import EVENT_METRICS
    from dashboard.services import rollup_record_status_changes
    from luckygas.delivery import events

    changes: list[events.OrderStatusChanged] = [events.typed(event, payload) for payload in payloads]
    rollup_record_status_changes(changes=[(change.order_id, change.to_status) for change in changes])
    mark_dirty(*EVENT_METRICS[event])


def _on_order_updated(*, event: str, **payload: Any) -> None:
    from dashboard.live import mark_dirty
    from dashboard.metrics import EVENT_METRICS
    from dashboard.services import rollup_record_order_updated
    from luckygas.delivery import events

    updated: events.OrderUpdated = events.typed(event, payload)
    rollup_record_order_updated(order_id=updated.order_id)
    mark_dirty(*EVENT_METRICS[event])


def _on_other_events(*, event: str, payloads: list[dict[str, Any]]) -> None:
    from dashboard.live import mark_dirty
    from dashboard.metrics import EVENT_METRICS

    mark_dirty(*EVENT_METRICS[event])  # once for all the facts published together


def _on_task_failure(sender: Any = None, exception: BaseException | None = None, **_kwargs: Any) -> None:
    from dashboard.live import record_task_failure

    record_task_failure(task_name=getattr(sender, "name", str(sender)), exception_type=type(exception).__name__)


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from celery.signals import task_failure

        from luckygas.delivery import events

        events.subscribe(events.ORDER_CREATED, _on_order_created)
        events.subscribe(events.ORDER_UPDATED, _on_order_updated)
        events.subscribe_many(events.ORDER_STATUS_CHANGED, _on_order_status_changes)
        for event in (events.ROUTE_CHANGED, events.STOP_CHANGED, events.INVOICE_PAID, events.PAYMENT_RECORDED):
            events.subscribe_many(event, _on_other_events)
        # Celery's own signal (not our logic): failures feed the system-health panel.
        task_failure.connect(_on_task_failure, weak=False)
