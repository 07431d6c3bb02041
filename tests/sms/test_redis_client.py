"""luckygas/redis.py: the one factory that builds Redis clients (used by sms limits, health,
metrics, check_services, the banking semaphore and the dashboard)."""

import pytest
import redis
from django.conf import settings

from luckygas.redis import redis_client


def test_one_client_is_shared_per_url_and_options_and_talks_to_the_real_redis():
    first = redis_client(settings.REDIS_URL)

    assert redis_client() is first
    assert redis_client(settings.REDIS_URL, timeout=2, connect_timeout=2) is not first
    assert first.ping() is True
    assert redis_client(decode_responses=True).echo("祥") == "祥"


def test_an_empty_redis_url_is_refused_with_a_clear_error(settings):
    settings.REDIS_URL = ""

    with pytest.raises(redis.ConnectionError, match=r"^No Redis URL is configured \(REDIS_URL is empty\)\.$"):
        redis_client()
