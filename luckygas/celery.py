"""The Celery application. Beat reads its schedule from the database (django-celery-beat)."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from luckygas import celery_probes
from luckygas.tracing import configure_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luckygas.settings")

app = Celery("luckygas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Logs go through Django's LOGGING (JSON on stdout, personal data masked), not Celery's own.
app.conf.worker_hijack_root_logger = False
# Kubernetes probes: ready and heartbeat files in /tmp (luckygas/celery_probes.py).
celery_probes.install(app)


@worker_process_init.connect(weak=False)
def _trace_worker_process(**kwargs: Any) -> None:
    # Each prefork child exports its own spans (a BatchSpanProcessor thread does not survive fork).
    configure_tracing(service_name="luckygas-worker")
