from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _on_stop_changed(*, event: str, stop_id: int, **payload: Any) -> None:
    from offline_sync import services

    services.change_feed_record_stop(stop_id=stop_id)


def _on_route_changed(*, event: str, route_id: int, **payload: Any) -> None:
    from offline_sync import services

    services.stop_assignments_sync(route_id=route_id)


def _on_order_status_changed(*, event: str, order_id: int, to_status: str, **payload: Any) -> None:
    from offline_sync import services

    services.change_feed_record_order(order_id=order_id, to_status=to_status)


class OfflineSyncConfig(AppConfig):
    name = "offline_sync"
    verbose_name = _("Driver offline sync")

    def ready(self) -> None:
        from luckygas.delivery import events
        from offline_sync import metrics  # noqa: F401  (registers the sync lag histogram for /metrics)

        # Office changes reach the change feed (and the phones) after their transaction commits.
        events.subscribe(events.STOP_CHANGED, _on_stop_changed)
        events.subscribe(events.ROUTE_CHANGED, _on_route_changed)
        events.subscribe(events.ORDER_STATUS_CHANGED, _on_order_status_changed)
