"""The web process's ASGI lifespan: start the embedded dashboard ticker at startup, stop it at shutdown.

Uvicorn sends `lifespan.startup` once per process, before any websocket connects; the consumer
then only authenticates, joins its group and forwards. With `REDIS_URL` set the ticker is a
process of its own (`manage.py run_dashboard_ticker`) and startup starts nothing.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async

from dashboard.live import embedded_ticker_start, embedded_ticker_stop

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def dashboard_lifespan(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await sync_to_async(embedded_ticker_start)()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await sync_to_async(embedded_ticker_stop)()
            await send({"type": "lifespan.shutdown.complete"})
            return
