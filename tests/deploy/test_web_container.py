"""`luckygas web` (gunicorn, threaded WSGI workers) and `luckygas websocket` (gunicorn, uvicorn
workers, ASGI) on the test database, as in their pods."""

import base64
import contextlib
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from tests import servers
from tests.deploy.processes import container_env, json_lines, started, wait_for

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def _web(tmp_path: Path, command: str = "web") -> Iterator[tuple[str, object, Path]]:
    port = servers.free_port()
    env = container_env(
        tmp_path,
        DATABASE_URL=servers.test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        PORT=str(port),
        GUNICORN_HOST="127.0.0.1",
        GUNICORN_WORKERS="2",
        GUNICORN_GRACEFUL_TIMEOUT="10",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
        HOME=str(tmp_path / "home"),  # where gunicorn would put its control socket (none: disabled)
        XDG_RUNTIME_DIR="",
    )
    (tmp_path / "home").mkdir()
    log = tmp_path / f"{command}.log"
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    with started([command], env, log) as process:
        wait_for(answers, timeout=60, process=process, log=log)
        yield url, process, log


@pytest.fixture
def web(db, tmp_path):
    with _web(tmp_path) as server:
        yield server


@pytest.fixture
def websocket_tier(db, tmp_path):
    with _web(tmp_path, "websocket") as server:
        yield server


def _handshake_status(url: str, path: str) -> int:
    """The HTTP status a websocket handshake for `path` gets (101 = upgraded)."""
    host, port = url.removeprefix("http://").split(":")
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request.encode())
        status_line = connection.recv(1024).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_web_serves_http_through_wsgi_sync_workers_and_no_websocket(web):
    url, _process, log = web
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    assert "Using worker: sync" in log.read_text(encoding="utf-8")
    assert list((log.parent / "home").iterdir()) == []  # no gunicornc control socket
    # /ws/ is the websocket tier's path: WSGI cannot upgrade, Django answers it as an unknown page.
    assert _handshake_status(url, "/ws/dashboard/") == 404


def test_websocket_tier_upgrades_ws_paths_through_asgi(websocket_tier):
    url, _process, log = websocket_tier
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}  # the kubelet's probes
    assert "Using worker: uvicorn_worker.UvicornWorker" in log.read_text(encoding="utf-8")
    # Channels' consumer answers the handshake: it refuses an anonymous user (403), where the WSGI
    # tier does not know the path at all (404).
    assert _handshake_status(url, "/ws/dashboard/") == 403


def test_web_serves_probes_metrics_and_json_logs_from_secret_files(web):
    url, process, log = web
    # probes: DATABASE_URL and REDIS_URL came from *_FILE secret files
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{url}/readyz").json() == {"status": "ok"}

    # metrics: requests were spread over both workers, and one scrape sees them all
    for _ in range(20):
        assert httpx.get(f"{url}/healthz").status_code == 200
    text = httpx.get(f"{url}/metrics").text
    total = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("django_http_requests_total_by_view_transport_method_total{") and 'view="healthz"' in line
    )
    assert total >= 20
    for queue in ("default", "sms", "banking", "exports"):
        assert f'luckygas_celery_queue_length{{queue="{queue}"}}' in text
    # the figures the workers produce (counted in Redis or the database) reach the web pods' scrape
    assert "# TYPE luckygas_sms_messages_total counter" in text
    assert "# TYPE luckygas_bank_uploads_total counter" in text

    # logs: JSON lines, access log included, phone numbers masked
    httpx.get(f"{url}/healthz", params={"phone": "0912345678"})
    wait_for(lambda: "phone=" in log.read_text(encoding="utf-8"), timeout=10, process=process, log=log)
    records = json_lines(log)
    access = [record for record in records if record["logger"] in ("gunicorn.access", "uvicorn.access")]
    assert any("/healthz" in record["message"] for record in access), records
    assert "0912345678" not in log.read_text(encoding="utf-8")


def test_sigterm_lets_gunicorn_finish_and_exit_cleanly(web):
    _, process, log = web
    started_at = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert time.monotonic() - started_at < 15
    assert any(
        "Shutting down" in record["message"] or "Handling signal" in record["message"] for record in json_lines(log)
    )
