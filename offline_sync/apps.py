from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfflineSyncConfig(AppConfig):
    name = "offline_sync"
    verbose_name = _("Driver offline sync")

    def ready(self) -> None:
        from luckygas.delivery import events
        from offline_sync import (
            handlers,
            metrics,  # noqa: F401  (registers the sync lag histogram for /metrics)
        )

        # Office changes reach the change feed (and the phones) after their transaction commits.
        events.subscribe_many(events.STOP_CHANGED, handlers.on_stops_changed)
        events.subscribe(events.ROUTE_CHANGED, handlers.on_route_changed)
        events.subscribe_many(events.ORDER_STATUS_CHANGED, handlers.on_order_status_changes)
