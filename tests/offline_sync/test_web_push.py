"""Web Push to a closed app: a real encrypted push to a local push service (the browser vendor's
service is outside this machine, so a local HTTP server stands in, speaking RFC 8030/8291)."""

import base64
import json

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from offline_sync import tasks
from offline_sync.models import DriverDevice
from tests.offline_sync.push_service import LocalPushService


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.fixture
def vapid(settings):
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    settings.WEBPUSH_VAPID_PRIVATE_KEY = b64(private)
    settings.WEBPUSH_VAPID_PUBLIC_KEY = b64(public)


def subscribe(phone, endpoint: str):
    browser_key = ec.generate_private_key(ec.SECP256R1())
    auth = b"0123456789abcdef"
    public = browser_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    response = phone.client.put(
        "/api/v1/driver/push-subscription",
        {"endpoint": endpoint, "keys": {"p256dh": b64(public), "auth": b64(auth)}},
        format="json",
    )
    assert response.status_code == 204
    return browser_key, auth


def test_a_closed_app_gets_an_encrypted_push_it_can_read(phone_a, vapid):
    with LocalPushService() as push_service:
        browser_key, auth = subscribe(phone_a, push_service.url)
        outcome = tasks.send_web_push.apply(args=[phone_a.device.pk, {"type": "changes", "cursor": 7}]).get()
    assert outcome == "sent"
    headers, body = push_service.received[0]
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=")
    assert int(headers["ttl"]) == 3600
    plaintext = http_ece.decrypt(body, private_key=browser_key, auth_secret=auth, version="aes128gcm")
    assert json.loads(plaintext) == {"type": "changes", "cursor": 7}


def test_a_gone_subscription_is_forgotten(phone_a, vapid):
    with LocalPushService(status=410) as push_service:
        subscribe(phone_a, push_service.url)
        outcome = tasks.send_web_push.apply(args=[phone_a.device.pk, {"type": "changes", "cursor": 1}]).get()
    assert outcome == "gone"
    assert DriverDevice.objects.get(pk=phone_a.device.pk).push_subscription is None


def test_web_push_is_skipped_without_vapid_keys(phone_a, settings):
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    with LocalPushService() as push_service:
        subscribe(phone_a, push_service.url)
        assert tasks.send_web_push.apply(args=[phone_a.device.pk, {"type": "changes"}]).get() == "disabled"
    assert push_service.received == []
    key = phone_a.client.get("/api/v1/driver/webpush-key").json()
    assert key["enabled"] is False
