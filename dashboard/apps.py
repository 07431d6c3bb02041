from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RECOVER_EXPORTS_EVERY_SECONDS = 60.0


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from celery.signals import task_failure

        from dashboard import handlers
        from luckygas.celery import app
        from luckygas.delivery import events

        events.subscribe(events.ORDER_CREATED, handlers.on_order_created)
        events.subscribe(events.ORDER_UPDATED, handlers.on_order_updated)
        events.subscribe_many(events.ORDER_STATUS_CHANGED, handlers.on_order_status_changes)
        for event in (events.ROUTE_CHANGED, events.STOP_CHANGED, events.INVOICE_PAID, events.PAYMENT_RECORDED):
            events.subscribe_many(event, handlers.on_other_events)
        # Celery's own signal (not our logic): failures feed the system-health panel.
        task_failure.connect(handlers.on_task_failure, weak=False)
        # Beat gives export jobs whose worker died or whose queue message was lost to a worker again.
        app.conf.beat_schedule = {
            **(app.conf.beat_schedule or {}),
            "dashboard-export-jobs-recover": {
                "task": "dashboard.tasks.export_jobs_recover",
                "schedule": RECOVER_EXPORTS_EVERY_SECONDS,
                "options": {"queue": "exports", "expires": RECOVER_EXPORTS_EVERY_SECONDS},
            },
        }
