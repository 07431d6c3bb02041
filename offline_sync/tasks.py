"""Notifications to phones: the websocket nudge (direct) and Web Push (a Celery task)."""

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from celery import shared_task
from channels.layers import get_channel_layer

from offline_sync import conf
from offline_sync.consumers import driver_group
from offline_sync.models import DriverDevice

logger = logging.getLogger(__name__)


def notify_websocket(*, driver_id: int, cursor: int) -> None:
    """Tell the driver's online phones to pull; a channel-layer hiccup never fails the caller."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(driver_group(driver_id), {"type": "changes.available", "cursor": cursor})
    except Exception:
        logger.exception("websocket notification failed", extra={"driver_id": driver_id})


@shared_task(
    bind=True,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def send_web_push(self: Any, device_pk: int, payload: dict[str, Any]) -> str:
    """Wake a phone whose app is closed. Skipped without VAPID keys or a subscription."""
    from pywebpush import WebPushException, webpush  # heavy import, only in the worker

    if not conf.web_push_enabled():
        return "disabled"
    device = DriverDevice.objects.filter(pk=device_pk, is_revoked=False).first()
    if device is None or not device.push_subscription:
        return "no_subscription"
    try:
        webpush(
            subscription_info=device.push_subscription,
            data=json.dumps(payload),
            vapid_private_key=conf.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": conf.VAPID_SUBJECT},
            ttl=3600,
            timeout=10,
        )
    except WebPushException as error:
        status = getattr(error.response, "status_code", None)
        if status in {404, 410}:
            # The browser dropped the subscription: forget it rather than retry forever.
            DriverDevice.objects.filter(pk=device_pk).update(push_subscription=None)
            return "gone"
        raise ConnectionError(str(error)) from error
    return "sent"
