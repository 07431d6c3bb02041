"""Websockets while Redis (the channel layer) is down: told to try again later, never a 500 handshake.

Found by the soak (issue #18): during a Redis restart the dashboard's and the driver app's sockets failed their
handshake with HTTP 500 and a traceback, because joining the socket's group raised. Both pages reconnect with
backoff on any close code but their own 44xx ones, so 1013 (RFC 6455 "Try Again Later") brings them back once
Redis is.
"""

import contextlib
import json

import pytest
from django.test import Client
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from luckygas.realtime import TRY_AGAIN_LATER
from tests.offline_sync.factories import phone_for
from tests.servers import free_port, run_asgi_server

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_with(websocket, message: dict | None = None) -> int:
    """The code the server closed the socket with (whether it closed before or after our message)."""
    with contextlib.suppress(ConnectionClosed):
        if message is not None:
            websocket.send(json.dumps(message))
        while True:
            websocket.recv(timeout=15)  # a socket left open times out here: the test fails
    return websocket.close_code


def _outcome(url: str, headers: dict[str, str], message: dict | None = None) -> str:
    try:
        with connect(url, additional_headers=headers, open_timeout=15) as websocket:
            return f"closed {_closed_with(websocket, message)}"
    except InvalidStatus as refused:
        return f"refused {refused.response.status_code}"


def test_sockets_are_told_to_try_again_later_while_the_channel_layer_is_unreachable(role_groups, driver_a, manager):
    phone = phone_for(driver_a)
    client = Client()
    client.force_login(manager)
    session = client.cookies["sessionid"].value
    nothing_listens = f"redis://127.0.0.1:{free_port()}/0"
    with run_asgi_server({"REDIS_URL": nothing_listens}) as server:
        url = server.replace("http://", "ws://")
        driver = _outcome(f"{url}/ws/driver/", {"Origin": server}, {"type": "auth", "token": phone.token})
        dashboard = _outcome(f"{url}/ws/dashboard/", {"Origin": server, "Cookie": f"sessionid={session}"})
    # the layer fails as the socket opens: told 1013 once accepted, or refused (403) before; never a 500
    assert driver in (f"closed {TRY_AGAIN_LATER}", "refused 403")
    assert dashboard in (f"closed {TRY_AGAIN_LATER}", "refused 403")
