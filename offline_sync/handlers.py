"""Event handlers: office changes reach the change feed (and the phones) after their transaction
commits. Subscribed in OfflineSyncConfig.ready()."""

from typing import Any

from luckygas.delivery import events
from offline_sync import services


def on_stops_changed(*, event: str, payloads: list[dict[str, Any]]) -> None:
    changes: list[events.StopChanged] = [events.typed(event, payload) for payload in payloads]
    services.change_feed_record_stops(
        stop_ids=[change.stop_id for change in changes if change.source != services.PUSH_SOURCE]
    )


def on_route_changed(*, event: str, **payload: Any) -> None:
    change: events.RouteChanged = events.typed(event, payload)
    services.stop_assignments_sync(route_id=change.route_id)


def on_order_status_changes(*, event: str, payloads: list[dict[str, Any]]) -> None:
    changes: list[events.OrderStatusChanged] = [events.typed(event, payload) for payload in payloads]
    services.change_feed_record_orders(
        changes=[(change.order_id, change.to_status) for change in changes if change.source != services.PUSH_SOURCE]
    )
