"""Sending to Channels groups from synchronous code, cheaply.

`async_to_sync(layer.group_send)` from a plain thread (a WSGI worker, a Celery task, the
dashboard ticker) starts a new event loop for every call, and channels_redis keeps its Redis
connections per event loop: every nudge opened a fresh connection, about 10 ms of a sync
push's 50 (bench/profile_push.py). With the Redis layer, sends go instead through one event
loop per process that lives on a daemon thread, so its connections are reused; the caller
waits for the send (a bounded time) as before. Other layers (the in-memory one of `make run`
and of tests) keep `async_to_sync`: their queues belong to the loop that reads them.
"""

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 5.0

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    """This process's sending loop, started on first use (and again in a forked child)."""
    global _loop, _loop_pid
    with _lock:
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="channel-layer-sender", daemon=True)
            thread.start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def _uses_own_loop(layer: BaseChannelLayer) -> bool:
    return type(layer).__module__.startswith("channels_redis.")


async def _send_all(layer: BaseChannelLayer, messages: Sequence[tuple[str, dict[str, Any]]]) -> None:
    for group, message in messages:
        await layer.group_send(group, message)


def group_send_many(messages: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Send each (group, message) in order; raises what the layer raised (callers decide whether it matters)."""
    if not messages:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    if not _uses_own_loop(layer):
        async_to_sync(_send_all)(layer, messages)
        return
    future = asyncio.run_coroutine_threadsafe(_send_all(layer, messages), _background_loop())
    try:
        future.result(timeout=SEND_TIMEOUT_SECONDS)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise


# --- Websockets joining their group --------------------------------------------------------------

# RFC 6455's "Try Again Later": the server cannot take this socket now. Both apps' pages reconnect with backoff
# on any close code but their own 44xx ones.
TRY_AGAIN_LATER = 1013


class ChannelLayerOutage:
    """A websocket consumer that, when the channel layer (Redis) fails under it, closes its socket with
    TRY_AGAIN_LATER (a socket not yet accepted is refused: HTTP 403) instead of dying with a traceback and,
    during the handshake, an HTTP 500. Channels reads each consumer's own channel from the layer beside the
    socket, so an unreachable Redis fails every consumer, not only those that send."""

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except (OSError, TimeoutError, RedisError) as error:
            logger.warning("websocket closed: channel layer unreachable (%s)", error.__class__.__name__)
            with contextlib.suppress(Exception):  # the socket may already be gone
                await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})


async def join_group(consumer: Any, group: str) -> bool:
    """Add a consumer's socket to its group. When the channel layer (Redis) cannot be reached (restarting, a
    failover) the socket cannot be told anything: False, logged as a warning, so the consumer closes it with
    TRY_AGAIN_LATER instead of failing the handshake with a 500."""
    try:
        await consumer.channel_layer.group_add(group, consumer.channel_name)
    except (TimeoutError, OSError, RedisError) as error:
        logger.warning("websocket not joined to its group: channel layer unreachable (%s)", error.__class__.__name__)
        return False
    return True
