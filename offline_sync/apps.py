from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _on_stops_changed(*, event: str, payloads: list[dict[str, Any]]) -> None:
    from luckygas.delivery import events
    from offline_sync import services

    changes: list[events.StopChanged] = [events.typed(event, payload) for payload in payloads]
    services.change_feed_record_stops(
        stop_ids=[change.stop_id for change in changes if change.source != services.PUSH_SOURCE]
    )


def _on_route_changed(*, event: str, **payload: Any) -> None:
    from luckygas.delivery import events
    from offline_sync import services

    change: events.RouteChanged = events.typed(event, payload)
    services.stop_assignments_sync(route_id=change.route_id)


def _on_order_status_changes(*, event: str, payloads: list[dict[str, Any]]) -> None:
    from luckygas.delivery import events
    from offline_sync import services

    changes: list[events.OrderStatusChanged] = [events.typed(event, payload) for payload in payloads]
    services.change_feed_record_orders(
        changes=[(change.order_id, change.to_status) for change in changes if change.source != services.PUSH_SOURCE]
    )


class OfflineSyncConfig(AppConfig):
    name = "offline_sync"
    verbose_name = _("Driver offline sync")

    def ready(self) -> None:
        from luckygas.delivery import events
        from offline_sync import metrics  # noqa: F401  (registers the sync lag histogram for /metrics)

        # Office changes reach the change feed (and the phones) after their transaction commits.
        events.subscribe_many(events.STOP_CHANGED, _on_stops_changed)
        events.subscribe(events.ROUTE_CHANGED, _on_route_changed)
        events.subscribe_many(events.ORDER_STATUS_CHANGED, _on_order_status_changes)
