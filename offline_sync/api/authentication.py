"""Device-token authentication: `Authorization: Device <token>` on every driver sync call."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from offline_sync.models import DriverDevice
from offline_sync.services import device_token_hash

KEYWORD = "Device"


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates the driver user; `request.auth` is their (not revoked) `DriverDevice`."""

    def authenticate(self, request: Request) -> tuple[Any, DriverDevice] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid device token header."))
        try:
            token = header[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(_("Invalid device token.")) from error
        return self.authenticate_token(token)

    @staticmethod
    def authenticate_token(token: str) -> tuple[Any, DriverDevice]:
        device = (
            DriverDevice.objects.select_related("driver__user")
            .filter(token_hash=device_token_hash(token))
            .order_by()  # unique: the model's ordering would only add a sort to every request
            .first()
        )
        if device is None:
            raise exceptions.AuthenticationFailed(_("Invalid device token."))
        if device.is_revoked:
            raise exceptions.AuthenticationFailed(_("This device was revoked by the office."))
        if not device.driver.is_active or not device.driver.user.is_active:
            raise exceptions.AuthenticationFailed(_("This driver account is inactive."))
        return device.driver.user, device

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class HasDevice(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, DriverDevice)


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "offline_sync.api.authentication.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Device <token>`, the token returned by devices/login.",
        }
