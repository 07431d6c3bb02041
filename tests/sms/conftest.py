"""SMS test rig: fake providers on loopback, a private redis-server, and a real Celery worker.

The worker is a `celery -A luckygas worker` subprocess on the pytest test database and the
private Redis (broker and limits), so tasks run exactly as in production, with the provider
base URLs pointing at the fakes. This process publishes to the private Redis only while a test
that asks for `private_redis` (every `sms_rig` test) runs; the previous broker comes back after.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet
from django.conf import settings

from luckygas.configuration import read_again
from tests import servers
from tests.servers import free_port, test_database_url
from tests.sms import fakes

ROOT = Path(__file__).resolve().parents[2]


def _use_environment_in_settings(*names: str) -> None:
    """Settings are read once at start: what this rig puts in the environment goes to settings too."""
    for name, value in read_again(*names).items():
        setattr(settings, name, value)


BODY_KEY = Fernet.generate_key().decode()
CALLBACK_TOKEN = "callback-token-for-tests"

# The environment for the worker subprocesses, and the same values as settings for this process.
SMS_ENVIRONMENT = {
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
    # Until `fake_providers` points them at the fakes, a send anywhere in the suite goes to a
    # closed loopback port and fails at once: never to a real provider's host.
    "SMS_MITAKE_BASE_URL": "http://127.0.0.1:9",
    "SMS_EVERY8D_BASE_URL": "http://127.0.0.1:9",
    "SMS_TWILIO_BASE_URL": "http://127.0.0.1:9",
}
os.environ.update(SMS_ENVIRONMENT)
_use_environment_in_settings(*SMS_ENVIRONMENT)


def _outbox_state() -> str:
    from sms.models import Attempt, Message

    state = [
        (m.pk, m.status, m.provider, m.deferred_reason, m.error_code, m.not_before.isoformat())
        for m in Message.objects.order_by("pk")
    ]
    attempts = list(Attempt.objects.order_by("pk").values_list("message_id", "provider", "status", "error_code"))
    return f"{state} {attempts}"


def wait_for(predicate: Callable[[], object], *, timeout: float = 30, interval: float = 0.2, what: str = "") -> None:
    """`tests.servers.wait_for` that shows the outbox when it times out."""
    servers.wait_for(predicate, timeout=timeout, interval=interval, what=what, describe=_outbox_state)


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
        servers.wait_for(lambda: _ping(client), timeout=10, what="private redis")

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
    _use_environment_in_settings("SMS_MITAKE_BASE_URL", "SMS_EVERY8D_BASE_URL", "SMS_TWILIO_BASE_URL")
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def private_redis_server() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    yield server
    server.stop()
    shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture
def private_redis(private_redis_server: PrivateRedis) -> Iterator[PrivateRedis]:
    """The private Redis as this process's SMS Redis and Celery broker, for one test only."""
    previous = os.environ.get("SMS_REDIS_URL")
    previous_setting = settings.SMS_REDIS_URL
    os.environ["SMS_REDIS_URL"] = private_redis_server.url
    settings.SMS_REDIS_URL = private_redis_server.url
    try:
        # This process publishes tasks to the private Redis too, where the test worker listens.
        with servers.celery_broker(private_redis_server.url):
            yield private_redis_server
    finally:
        settings.SMS_REDIS_URL = previous_setting
        if previous is None:
            os.environ.pop("SMS_REDIS_URL", None)
        else:
            os.environ["SMS_REDIS_URL"] = previous


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


def run_worker(
    env: dict[str, str], *, concurrency: int = 8, beat: bool = False
) -> contextlib.AbstractContextManager[servers.CeleryWorker]:
    return servers.run_celery_worker(env, queues="sms", concurrency=concurrency, beat=beat, name="sms-test")


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup, django_db_blocker, fake_providers, private_redis_server
) -> Iterator[servers.CeleryWorker]:
    with run_worker(worker_env(private_redis_server.url)) as worker:
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


@pytest.fixture
def marketing_switched_on(db) -> None:
    """The `sms_marketing` switch on (it is created off), for tests of marketing sends."""
    from waffle.models import Switch

    from luckygas.feature_flags import SMS_MARKETING

    switch, _created = Switch.objects.update_or_create(name=SMS_MARKETING, defaults={"active": True})
    switch.flush()  # waffle clears its cache on commit, which a test's transaction never reaches
