"""Celery tasks of the offline sync: thin wrappers around services."""

from typing import Any

from celery import shared_task

from offline_sync.services import notifications


@shared_task(
    bind=True,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def send_web_push(self: Any, device_pk: int, payload: dict[str, Any]) -> str:
    """Wake a phone whose app is closed (see notifications.web_push_send)."""
    return notifications.web_push_send(device_pk=device_pk, payload=payload)
