"""SMS test rig: fake providers on loopback, a private redis-server, and a real Celery worker.

The worker is a `celery -A luckygas worker` subprocess on the pytest test database and the
private Redis (broker and limits), so tasks run exactly as in production, with the provider
base URLs pointing at the fakes.
"""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet

from tests.servers import free_port, test_database_url
from tests.sms import fakes

ROOT = Path(__file__).resolve().parents[2]
BODY_KEY = Fernet.generate_key().decode()
CALLBACK_TOKEN = "callback-token-for-tests"

os.environ.update(
    {
        "SMS_BODY_KEYS": BODY_KEY,
        "SMS_CALLBACK_TOKEN": CALLBACK_TOKEN,
        "SMS_MITAKE_USERNAME": fakes.MITAKE_USER,
        "SMS_MITAKE_PASSWORD": fakes.MITAKE_PASSWORD,
        "SMS_EVERY8D_UID": fakes.EVERY8D_UID,
        "SMS_EVERY8D_PASSWORD": fakes.EVERY8D_PASSWORD,
        "SMS_TWILIO_ACCOUNT_SID": fakes.TWILIO_SID,
        "SMS_TWILIO_AUTH_TOKEN": fakes.TWILIO_TOKEN,
        "SMS_TWILIO_FROM": fakes.TWILIO_FROM,
        "SMS_HTTP_TIMEOUT_SECONDS": "2",
        "SMS_REDIS_PREFIX": "sms-test",
    }
)


def wait_for(predicate: Callable[[], object], *, timeout: float = 30, interval: float = 0.2, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    from sms.models import Attempt, Message

    state = [
        (m.pk, m.status, m.provider, m.deferred_reason, m.error_code, m.not_before.isoformat())
        for m in Message.objects.order_by("pk")
    ]
    attempts = list(Attempt.objects.order_by("pk").values_list("message_id", "provider", "status", "error_code"))
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}: {state} {attempts}")


class PrivateRedis:
    """A redis-server of our own on a free port (never the shared one), restartable by tests."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="sms-redis-")
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _ping(client), timeout=10, what="private redis")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def flush(self) -> None:
        redis.Redis.from_url(self.url).flushdb()


def _ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def fake_providers() -> Iterator[dict[str, fakes.FakeProvider]]:
    servers = {"mitake": fakes.FakeMitake(), "every8d": fakes.FakeEvery8d(), "twilio": fakes.FakeTwilio()}
    os.environ["SMS_MITAKE_BASE_URL"] = servers["mitake"].base_url
    os.environ["SMS_EVERY8D_BASE_URL"] = servers["every8d"].base_url
    os.environ["SMS_TWILIO_BASE_URL"] = servers["twilio"].base_url
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def private_redis() -> Iterator[PrivateRedis]:
    from luckygas.celery import app

    server = PrivateRedis()
    os.environ["SMS_REDIS_URL"] = server.url
    # This process publishes tasks to the private Redis too, where the test worker listens.
    app.conf.broker_url = server.url
    yield server
    server.stop()
    shutil.rmtree(server.directory, ignore_errors=True)


def worker_env(redis_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": redis_url,
        "SMS_REDIS_URL": redis_url,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        **extra,
    }


class Worker:
    """A `celery worker` subprocess, restarted if it exits, as the deployment's supervisor would.

    Celery 5.7's thread pool can exit on a lost broker connection ("Unrecoverable error");
    Kubernetes restarts it in production, `ensure_running` does it here.
    """

    def __init__(self, env: dict[str, str], *, concurrency: int = 8, beat: bool = False) -> None:
        self.env = env
        self.concurrency = concurrency
        self.beat = beat
        self.schedule = tempfile.mkdtemp(prefix="sms-beat-")
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
            "sms",
            "-P",
            "threads",
            "-c",
            str(self.concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
            "-n",
            f"sms-test-{free_port()}@%h",
        ]
        if self.beat:
            command += ["--beat", "-S", "celery.beat:PersistentScheduler", "-s", f"{self.schedule}/schedule"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        from luckygas.celery import app

        def answers() -> bool:
            try:
                return bool(app.control.ping(timeout=0.5))
            except Exception:  # a pooled broker connection broken by a Redis restart
                app.pool.force_close_all()
                return False

        wait_for(answers, timeout=60, what="the celery worker")

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
        shutil.rmtree(self.schedule, ignore_errors=True)


@contextlib.contextmanager
def run_worker(env: dict[str, str], *, concurrency: int = 8, beat: bool = False) -> Iterator[Worker]:
    worker = Worker(env, concurrency=concurrency, beat=beat)
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, fake_providers, private_redis) -> Iterator[Worker]:
    with run_worker(worker_env(private_redis.url)) as worker:
        yield worker


@pytest.fixture
def providers(db) -> dict[str, object]:
    from sms.models import Provider

    rows = {}
    for name, priority, price in (("mitake", 1, 80), ("every8d", 2, 75), ("twilio", 3, 260)):
        rows[name], _created = Provider.objects.update_or_create(
            name=name,
            defaults={
                "priority": priority,
                "unit_price_centi": price,
                "rate_per_second": 1000,
                "failure_threshold": 3,
                "cooldown_seconds": 60,
                "is_enabled": True,
            },
        )
    return rows


@pytest.fixture
def sms_rig(request, fake_providers, private_redis, providers) -> dict[str, fakes.FakeProvider]:
    """Fresh fakes and an empty private Redis for each test."""
    for server in fake_providers.values():
        server.reset()
    private_redis.flush()
    if "celery_worker" in request.fixturenames:
        request.getfixturevalue("celery_worker").ensure_running()
    return fake_providers


@pytest.fixture
def customer(db):
    from tests.delivery.factories import CustomerFactory

    return CustomerFactory(mobile="+886912345678")
