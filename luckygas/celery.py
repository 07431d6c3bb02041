"""The Celery application. Beat reads its schedule from the database (django-celery-beat)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luckygas.settings")

app = Celery("luckygas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
