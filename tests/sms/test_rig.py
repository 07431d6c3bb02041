"""The SMS test rig points this process at its private Redis only while an SMS test runs."""

import os

import redis

from luckygas.celery import app
from tests import servers

PROBE_QUEUE = "sms-rig-probe"


def _probe_count(url: str) -> int:
    return redis.Redis.from_url(url).llen(PROBE_QUEUE)


def test_inside_a_test_with_private_redis_tasks_are_published_to_the_private_broker(private_redis):
    # when
    app.send_task("sms.rig.probe", queue=PROBE_QUEUE)

    # then
    assert app.conf.broker_url == private_redis.url
    assert os.environ["SMS_REDIS_URL"] == private_redis.url
    assert _probe_count(private_redis.url) == 1
    redis.Redis.from_url(private_redis.url).delete(PROBE_QUEUE)


def test_after_that_test_the_previous_broker_and_sms_redis_are_back(private_redis_server):
    assert app.conf.broker_url != private_redis_server.url
    assert os.environ.get("SMS_REDIS_URL") != private_redis_server.url


def test_celery_broker_restores_the_previous_broker_even_after_an_error(private_redis_server):
    before = app.conf.broker_url

    try:
        with servers.celery_broker(private_redis_server.url):
            app.send_task("sms.rig.probe", queue=PROBE_QUEUE)
            raise RuntimeError("the test body failed")
    except RuntimeError:
        pass

    assert app.conf.broker_url == before
    assert _probe_count(private_redis_server.url) == 1
    redis.Redis.from_url(private_redis_server.url).delete(PROBE_QUEUE)
