"""Real servers for end-to-end tests: the ASGI app under uvicorn, and headless Chromium.

`asgi_server` serves the project (HTTP and websockets) from a uvicorn subprocess on a free
loopback port, against the pytest test database, so data a test commits is what the browser
sees. Use it with `transactional_db` (or `django_db(transaction=True)`).

Also shared by the apps' tests: `wait_for` (poll a condition with a deadline), `celery_broker`
(point this process's Celery app at another broker for a while, then put it back) and
`CeleryWorker` / `run_celery_worker` (a real `celery worker` subprocess on the test database).
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Without these Chromium keeps dialling Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_environment() -> dict[str, str]:
    """This process's environment minus what only the in-process browser tests need."""
    return {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def test_database_url() -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return (
        f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        f"/{settings['NAME']}"
    )


@contextlib.contextmanager
def run_uvicorn(env: dict[str, str], *, timeout: float = 90) -> Iterator[str]:
    """`luckygas.asgi` under uvicorn on a free loopback port with `env`, yielded once /healthz answers 200."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "luckygas.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start (exit code {process.poll()})")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def run_asgi_server(extra_env: dict[str, str] | None = None) -> Iterator[str]:
    env = {
        **subprocess_environment(),
        "DATABASE_URL": test_database_url(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        **(extra_env or {}),
    }
    with run_uvicorn(env) as url:
        yield url


@pytest.fixture
def asgi_server(transactional_db) -> Iterator[str]:
    with run_asgi_server() as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    """A headless Debian Chromium driven by Playwright (no browser download).

    Module scope: Playwright's sync API keeps an event loop running in this thread while it
    lives, and sync code that calls async_to_sync (channel-layer sends) must not meet it in
    the modules that follow.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_context(chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-TW", timezone_id="Asia/Taipei")
    yield context
    context.close()


def save_screenshot(page, name: str) -> Path:
    """Keep a screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for(
    predicate: Callable[[], object],
    *,
    timeout: float = 30,
    interval: float = 0.2,
    what: str = "",
    describe: Callable[[], object] | None = None,
) -> None:
    """Poll `predicate` until it is truthy; on timeout fail naming `what` (and `describe()`'s state)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    state = f": {describe()}" if describe is not None else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}{state}")


def _reset_celery_connections(app) -> None:
    # The app builds its pools from broker_url on first use: forget them so the next publish uses
    # the current URL. They stay open in kombu's per-URL registry, ready for when the URL comes back.
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Publish from this process to `url` inside the block; the previous broker comes back after it."""
    from luckygas.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = url
    _reset_celery_connections(app)
    try:
        yield
    finally:
        app.conf.broker_url = previous
        _reset_celery_connections(app)


class CeleryWorker:
    """A `celery -A luckygas worker` subprocess, restarted if it exits, as the deployment's supervisor would.

    `env` must carry the broker (`REDIS_URL`) and the test database (`DATABASE_URL`, see
    `test_database_url`). Celery 5's thread pool can exit on a lost broker connection
    ("Unrecoverable error"); Kubernetes restarts it in production, `ensure_running` does it here.
    """

    def __init__(
        self,
        env: dict[str, str],
        *,
        queues: str,
        concurrency: int = 8,
        pool: str = "threads",
        beat: bool = False,
        name: str = "test",
        log_level: str = "WARNING",
    ) -> None:
        self.env = env
        self.queues = queues
        self.concurrency = concurrency
        self.pool = pool
        self.beat = beat
        self.name = name
        self.log_level = log_level
        self.schedule = tempfile.mkdtemp(prefix="celery-beat-")
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "luckygas",
            "worker",
            "-Q",
            self.queues,
            "-P",
            self.pool,
            "-c",
            str(self.concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            self.log_level,
            "-n",
            f"{self.name}-{free_port()}@%h",
        ]
        if self.beat:
            command += ["--beat", "-S", "celery.beat:PersistentScheduler", "-s", f"{self.schedule}/schedule"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        from luckygas.celery import app

        def answers() -> bool:
            try:
                return bool(app.control.ping(timeout=0.5))
            except Exception:  # a pooled broker connection broken by a Redis restart
                app.pool.force_close_all(close_pool=False)
                return False

        with celery_broker(self.env["REDIS_URL"]):
            wait_for(answers, timeout=60, what=f"the celery worker for {self.queues}")

    def ensure_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.restarts += 1
            self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.schedule, ignore_errors=True)


@contextlib.contextmanager
def run_celery_worker(env: dict[str, str], *, queues: str, **options: object) -> Iterator[CeleryWorker]:
    worker = CeleryWorker(env, queues=queues, **options)
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()
