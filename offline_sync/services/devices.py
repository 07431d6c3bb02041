"""Driver devices: login and registration, revocation, the Web Push subscription."""

import hashlib
import secrets
import uuid
from typing import Any

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery.models import Driver
from luckygas.delivery.roles import user_is_driver
from luckygas.errors import DomainError
from offline_sync.models import (
    DriverDevice,
)

# --- Devices -------------------------------------------------------------------------------


def device_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DeviceLoginError(DomainError):
    """Login refused: invalid_credentials, not_a_driver, device_taken or device_revoked."""


def device_register(*, username: str, password: str, device_id: uuid.UUID, name: str = "") -> tuple[DriverDevice, str]:
    """Log a driver in and (re-)register their device; returns the device and a new token.

    A device already registered to another driver, or revoked, is refused.
    """
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise DeviceLoginError(code="invalid_credentials", errors={"password": [_("Wrong username or password.")]})
    driver = Driver.objects.filter(user=user, is_active=True).first()
    if driver is None or not user_is_driver(user):
        raise DeviceLoginError(code="not_a_driver", errors={"username": [_("This account is not an active driver.")]})
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = DriverDevice.objects.select_for_update().filter(device_id=device_id).first()
        if device is None:
            device = DriverDevice.objects.create(
                device_id=device_id, driver=driver, name=name[:80], token_hash=device_token_hash(token)
            )
        elif device.driver_id != driver.pk:
            raise DeviceLoginError(
                code="device_taken",
                errors={"device_id": [_("This device is registered to another driver.")]},
            )
        elif device.is_revoked:
            raise DeviceLoginError(
                code="device_revoked", errors={"device_id": [_("This device was revoked by the office.")]}
            )
        else:
            device.token_hash = device_token_hash(token)
            device.name = name[:80] or device.name
            device.save(update_fields=["token_hash", "name"])
    return device, token


def device_revoke(*, device: DriverDevice) -> DriverDevice:
    """Revoke a device: from now on its calls get 401 and nothing it sends is applied."""
    DriverDevice.objects.filter(pk=device.pk, is_revoked=False).update(is_revoked=True, revoked_at=timezone.now())
    device.refresh_from_db()
    return device


def device_reinstate(*, device: DriverDevice) -> DriverDevice:
    DriverDevice.objects.filter(pk=device.pk).update(is_revoked=False, revoked_at=None)
    device.refresh_from_db()
    return device


def device_set_push_subscription(*, device: DriverDevice, subscription: dict[str, Any] | None) -> DriverDevice:
    """Store (or clear, with None) the device's Web Push subscription."""
    DriverDevice.objects.filter(pk=device.pk).update(push_subscription=subscription)
    device.push_subscription = subscription
    return device
