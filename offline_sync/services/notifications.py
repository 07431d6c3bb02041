"""Telling phones there is something to pull: the websocket nudge and Web Push."""

import json
import logging

from django.conf import settings

from luckygas.realtime import group_send_many
from offline_sync.consumers import driver_group
from offline_sync.models import DriverDevice

logger = logging.getLogger(__name__)


def web_push_enabled() -> bool:
    """Web Push is skipped unless both VAPID keys are configured."""
    return bool(settings.WEBPUSH_VAPID_PRIVATE_KEY and settings.WEBPUSH_VAPID_PUBLIC_KEY)


class WebPushUnavailableError(ConnectionError):
    """The push service could not be reached or refused for now: worth retrying."""


def notify_websockets(*, cursors: dict[int, int]) -> None:
    """Tell each driver's online phones to pull up to their cursor, in one hop to the channel layer.

    The nudge is a hint (the change feed is the record), so a failure is logged, never raised.
    """
    messages = [
        (driver_group(driver_id), {"type": "changes.available", "cursor": cursor})
        for driver_id, cursor in cursors.items()
    ]
    try:
        group_send_many(messages)
    except Exception:
        logger.exception("websocket notification failed", extra={"driver_ids": sorted(cursors)})


def web_push_send(*, device_pk: int, payload: dict) -> str:
    """Wake a phone whose app is closed: "sent", "disabled", "no_subscription" or "gone".

    A subscription the browser dropped (404/410) is forgotten rather than retried forever;
    any other failure raises WebPushUnavailableError for the caller to retry.
    """
    from pywebpush import WebPushException, webpush  # heavy import, only where it is used

    if not web_push_enabled():
        return "disabled"
    device = DriverDevice.objects.filter(pk=device_pk, is_revoked=False).first()
    if device is None or not device.push_subscription:
        return "no_subscription"
    try:
        webpush(
            subscription_info=device.push_subscription,
            data=json.dumps(payload),
            vapid_private_key=settings.WEBPUSH_VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},
            ttl=3600,
            timeout=10,
        )
    except WebPushException as error:
        if getattr(error.response, "status_code", None) in {404, 410}:
            DriverDevice.objects.filter(pk=device_pk).update(push_subscription=None)
            return "gone"
        raise WebPushUnavailableError(str(error)) from error
    return "sent"
