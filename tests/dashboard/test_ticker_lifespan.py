"""The embedded ticker starts with the web process (ASGI lifespan), never from a websocket consumer."""

import threading

import pytest
from asgiref.testing import ApplicationCommunicator

from dashboard import live
from luckygas.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def ticker_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "dashboard-ticker" and thread.is_alive()]


async def run_lifespan(message_type: str, communicator: ApplicationCommunicator) -> dict:
    await communicator.send_input({"type": message_type})
    return await communicator.receive_output(timeout=10)


async def test_startup_without_redis_starts_one_embedded_ticker_and_shutdown_stops_it(settings):
    # given: the embedded `make run` default (no Redis)
    settings.REDIS_URL = ""
    communicator = ApplicationCommunicator(application, {"type": "lifespan"})
    # when
    started = await run_lifespan("lifespan.startup", communicator)
    # then
    assert started == {"type": "lifespan.startup.complete"}
    assert len(ticker_threads()) == 1
    assert live._embedded_ticker is not None
    assert live.embedded_ticker_start() is False  # a second start in the same process starts nothing
    assert len(ticker_threads()) == 1
    stopped = await run_lifespan("lifespan.shutdown", communicator)
    assert stopped == {"type": "lifespan.shutdown.complete"}
    assert live._embedded_ticker is None
    for thread in threading.enumerate():
        if thread.name == "dashboard-ticker":
            thread.join(timeout=10)
    assert ticker_threads() == []


async def test_startup_with_redis_leaves_pushing_to_the_ticker_process():
    communicator = ApplicationCommunicator(application, {"type": "lifespan"})
    started = await run_lifespan("lifespan.startup", communicator)
    assert started == {"type": "lifespan.startup.complete"}
    assert ticker_threads() == []
    assert live._embedded_ticker is None
    stopped = await run_lifespan("lifespan.shutdown", communicator)
    assert stopped == {"type": "lifespan.shutdown.complete"}
