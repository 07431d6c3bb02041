"""The dashboard websocket: authenticate, join the audience group, forward pushes. Nothing else."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from dashboard.live import group_name
from dashboard.selectors import dashboard_audience_for_user
from luckygas.realtime import TRY_AGAIN_LATER, ChannelLayerOutage, join_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class DashboardConsumer(ChannelLayerOutage, AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept first: a close code can only be sent on an open socket.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        audience = await database_sync_to_async(dashboard_audience_for_user)(user)
        if audience is None:
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if not await join_group(self, group_name(audience)):
            await self.accept()
            await self.close(code=TRY_AGAIN_LATER)
            return
        self.group = group_name(audience)
        await self.accept()
        await self.send_json({"type": "hello", "audience": audience})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def metric_update(self, event: dict[str, Any]) -> None:
        await self.send_json(event["message"])
