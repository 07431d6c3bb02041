"""`/ws/driver/`: tells an online phone at once that its change feed has something new.

The phone authenticates with its device token, as the first message
`{"type": "auth", "token": "…"}` (or `?token=` in the URL; browsers cannot set headers on a
websocket). It then receives `{"type": "changes", "cursor": N}` and pulls `changes?cursor=`.
"""

import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from rest_framework.exceptions import AuthenticationFailed

from luckygas.realtime import TRY_AGAIN_LATER, ChannelLayerOutage, join_group
from offline_sync.api.authentication import DeviceTokenAuthentication

AUTH_FAILED = 4401


def driver_group(driver_id: int) -> str:
    return f"sync.driver.{driver_id}"


@database_sync_to_async
def _authenticate(token: str) -> tuple[int, int] | None:
    try:
        _user, device = DeviceTokenAuthentication.authenticate_token(token)
    except AuthenticationFailed:
        return None
    return device.pk, device.driver_id


class DriverChangesConsumer(ChannelLayerOutage, AsyncWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        await self.accept()
        token = parse_qs(self.scope.get("query_string", b"").decode()).get("token", [""])[0]
        if token:
            await self._join(token)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message: Any = json.loads(text_data or "")
        except ValueError:
            message = None
        if not isinstance(message, dict):
            return
        if message.get("type") == "auth" and self.group is None:
            await self._join(str(message.get("token", "")))
        elif message.get("type") == "ping":
            await self.send(json.dumps({"type": "pong"}))

    async def _join(self, token: str) -> None:
        found = await _authenticate(token)
        if found is None:
            await self.close(code=AUTH_FAILED)
            return
        _device_pk, driver_id = found
        if not await join_group(self, driver_group(driver_id)):
            await self.close(code=TRY_AGAIN_LATER)
            return
        self.group = driver_group(driver_id)
        await self.send(json.dumps({"type": "ready"}))

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def changes_available(self, event: dict[str, Any]) -> None:
        await self.send(json.dumps({"type": "changes", "cursor": event["cursor"]}))
