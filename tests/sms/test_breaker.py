"""luckygas/breaker.py: the Redis breaker and its in-process twin follow the same rules,
driven by an injected clock (the `now` each call takes)."""

import datetime
import uuid

import pytest
from django.conf import settings

from luckygas.breaker import LocalBreaker, RedisBreaker
from luckygas.redis import redis_client

START = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(params=["redis", "local"])
def breaker(request):
    if request.param == "redis":
        return RedisBreaker(lambda: redis_client(settings.REDIS_URL))
    return LocalBreaker()


def test_opens_after_the_threshold_lets_one_probe_through_and_closes_on_its_success(breaker):
    key = f"test:breaker:{uuid.uuid4()}"

    states = [breaker.record(key, is_success=False, threshold=3, cooldown_seconds=60, now=START) for _ in range(3)]

    after_cooldown = START + datetime.timedelta(seconds=60)
    assert states == ["closed", "closed", "open"]
    assert breaker.allows(key, now=START + datetime.timedelta(seconds=59)) is False
    assert breaker.state(key, now=after_cooldown) == "half_open"
    assert [breaker.allows(key, now=after_cooldown) for _ in range(2)] == [True, False]
    assert breaker.record(key, is_success=True, threshold=3, cooldown_seconds=60, now=after_cooldown) == "closed"
    assert breaker.state(key, now=after_cooldown) == "closed"
    assert breaker.allows(key, now=after_cooldown) is True


def test_a_failed_probe_opens_the_circuit_for_another_cooldown(breaker):
    key = f"test:breaker:{uuid.uuid4()}"
    for _ in range(3):
        breaker.record(key, is_success=False, threshold=3, cooldown_seconds=60, now=START)
    probe_time = START + datetime.timedelta(seconds=61)
    assert breaker.allows(key, now=probe_time) is True

    assert breaker.record(key, is_success=False, threshold=3, cooldown_seconds=60, now=probe_time) == "open"

    assert breaker.allows(key, now=probe_time + datetime.timedelta(seconds=59)) is False
    assert breaker.state(key, now=probe_time + datetime.timedelta(seconds=60)) == "half_open"


def test_a_lost_probe_lets_the_next_caller_probe_after_the_probe_lease(breaker):
    key = f"test:breaker:{uuid.uuid4()}"
    for _ in range(3):
        breaker.record(key, is_success=False, threshold=3, cooldown_seconds=60, now=START)
    probe_time = START + datetime.timedelta(seconds=60)

    assert breaker.allows(key, now=probe_time, probe_ttl_seconds=30) is True
    assert breaker.allows(key, now=probe_time + datetime.timedelta(seconds=29), probe_ttl_seconds=30) is False
    assert breaker.allows(key, now=probe_time + datetime.timedelta(seconds=30), probe_ttl_seconds=30) is True


def test_failures_are_counted_until_a_success_and_a_forgotten_circuit_starts_closed(breaker):
    key = f"test:breaker:{uuid.uuid4()}"
    for _ in range(4):
        breaker.record(key, is_success=False, threshold=3, cooldown_seconds=60, now=START)
    assert (breaker.state(key, now=START), breaker.failures(key)) == ("open", 4)

    breaker.forget(key)

    assert (breaker.state(key, now=START), breaker.failures(key)) == ("closed", 0)
    assert breaker.allows(key, now=START) is True
    assert breaker.record(key, is_success=False, threshold=3, cooldown_seconds=0.5, now=START) == "closed"
    assert breaker.record(key, is_success=True, threshold=3, cooldown_seconds=0.5, now=START) == "closed"
    assert breaker.failures(key) == 0
