import asyncio
import contextlib
import copy
import json
import uuid
from collections.abc import Iterator
from typing import ClassVar

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.cache import cache
from django.test import Client

from dashboard.live import Ticker, redis_client
from tests.threads import Worker


@pytest.fixture(autouse=True)
def clean_dashboard_redis(settings) -> Iterator[None]:
    """Each test starts with no dirty marks, sequences or cached snapshots (in this worktree's Redis DB)."""

    def wipe() -> None:
        client = redis_client()
        keys = list(client.scan_iter("dashboard:live:*"))
        if keys:
            client.delete(*keys)
        cache.clear()

    wipe()
    yield
    wipe()


@pytest.fixture(autouse=True)
def own_channel_layer(settings, monkeypatch) -> Iterator[None]:
    """Each test talks through a channel layer of its own (a fresh Redis key prefix and layer object).

    The layer is a process-wide object whose receive state is tied to one event loop, and its Redis
    groups outlive the sockets of earlier tests (a browser's socket dropped with its server never
    leaves its group). A push sent to such leftovers fills the shared per-process inbox to its
    capacity, after which channels-redis drops new messages silently, a flaky "no message at all".
    """
    layer_settings = copy.deepcopy(settings.CHANNEL_LAYERS)
    prefix = f"asgi-test-{uuid.uuid4().hex[:12]}"
    if "CONFIG" in layer_settings["default"]:
        layer_settings["default"]["CONFIG"]["prefix"] = prefix
    settings.CHANNEL_LAYERS = layer_settings  # channels resets its layer objects on setting_changed
    monkeypatch.setenv("CHANNELS_PREFIX", prefix)  # and the servers a browser test starts
    yield
    if settings.REDIS_URL:  # the sync client: a browser test's thread holds Playwright's event loop
        keys = list(redis_client().scan_iter(f"{prefix}*"))
        if keys:
            redis_client().delete(*keys)


@pytest.fixture(autouse=True)
def role_groups(request) -> None:
    """Transactional tests start from a flushed database: recreate the role groups the personas join."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from django.contrib.auth.models import Group

    from luckygas.delivery.roles import ALL_ROLES

    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def socket_headers(cookie: str | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return headers


@contextlib.contextmanager
def running_ticker(interval: float) -> Iterator[Ticker]:
    """The real ticker, on its own thread, pushing through channels-redis."""
    ticker = Ticker(interval=interval)
    worker = Worker(ticker.run, name="ticker").start()
    try:
        yield ticker
    finally:
        ticker.stop()
        worker.result(timeout=30)


class SocketClient(ApplicationCommunicator):
    """A websocket client speaking ASGI to the real application (channels' own needs daphne).

    Unlike asgiref's `receive_output`, a receive that times out leaves the consumer running, so a
    test can wait for "nothing more arrives" and keep listening. `run_scenario` disconnects every
    socket a scenario left open, as a browser leaving would. Until then `open` holds them: asgiref's
    communicator cancels its application when garbage-collected, and a consumer cancelled in the
    middle of channels-redis' blocking receive has been seen never to finish (or to end on a
    "connection closed" error).
    """

    open: ClassVar[set["SocketClient"]] = set()

    def __init__(self, application, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        SocketClient.open.add(self)
        super().__init__(
            application,
            {
                "type": "websocket",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "headers": headers,
                "subprotocols": [],
                "client": ("127.0.0.1", 50000),
                "server": ("testserver", 80),
            },
        )

    async def connect(self, timeout: float = 5) -> bool:
        await self.send_input({"type": "websocket.connect"})
        return (await self.next_event(timeout))["type"] == "websocket.accept"

    async def next_event(self, timeout: float) -> dict:
        return await asyncio.wait_for(self.output_queue.get(), timeout)

    async def receive_json_from(self, timeout: float = 5) -> dict:
        event = await self.next_event(timeout)
        assert event["type"] == "websocket.send", event
        return json.loads(event["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 2) -> None:
        """Tell the consumer the socket went away and give it `timeout` s to end by itself.

        The consumer then cancels its pending channels-redis receive, a blocking BZPOPMIN; redis-py
        sometimes swallows that cancellation and the receive goes on (redis/redis-py#2028), so the
        consumer may never end. asgiref's `wait` would then wait for it without a limit; here the
        scenario's runner abandons it with its event loop.
        """
        SocketClient.open.discard(self)
        if self.future.done():
            return
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await asyncio.wait({self.future}, timeout=timeout)


def run_scenario(coroutine, *, leftover_timeout: float = 5) -> None:
    """Run an async scenario on a new event loop of this thread, and close that loop within bounds.

    `asyncio.run` would cancel whatever is left and wait for it without a limit; a consumer left
    receiving from channels-redis has been seen never to finish that cancellation, holding the
    test (and the interpreter's exit) forever. Sockets left open are disconnected first; anything
    still running after that is cancelled and given `leftover_timeout` seconds.
    """

    async def with_sockets_closed() -> None:
        try:
            await coroutine
        finally:
            left_open = [client for client in SocketClient.open if client.future.get_loop() is loop]
            await asyncio.gather(*(client.disconnect() for client in left_open))

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(with_sockets_closed())
    finally:
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.wait(leftovers, timeout=leftover_timeout))
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()
