from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "sms"
    verbose_name = _("SMS gateway")

    def ready(self) -> None:
        from luckygas.celery import app
        from luckygas.delivery import events
        from sms import conf, handlers, metrics

        # Counts kept in Redis by the workers, read at scrape time by every web process.
        metrics.register_collector()

        events.subscribe(events.ORDER_STATUS_CHANGED, handlers.on_order_status_changed)
        # Called inside banking's transaction: the notice is written with the debit or not at all.
        events.subscribe(events.DIRECT_DEBIT_SCHEDULED, handlers.on_direct_debit_scheduled)
        events.subscribe(events.DIRECT_DEBIT_RETURNED, handlers.on_direct_debit_returned)
        # Beat re-dispatches stuck messages, recovers timeouts, polls receipts and re-scans events.
        app.conf.beat_schedule = {
            **(app.conf.beat_schedule or {}),
            "sms-outbox-reconcile": {
                "task": "sms.tasks.outbox_reconcile",
                "schedule": float(conf.reconcile_interval_seconds()),
                "options": {"queue": "sms", "expires": float(conf.reconcile_interval_seconds())},
            },
        }
