"""`luckygas_sms_messages_total{provider, status}`: messages that entered each status, for alerts.

Messages change state in Celery workers, not in the web processes that answer `/metrics`, so the
count lives in Redis (one HINCRBY per change, after the change commits) and every scrape reads it
back: all web pods report the same figure. Redis only holds what the database can tell again
(`StatusChange` is the full history); if the hash is lost the counter starts again from zero,
which Prometheus's `increase()` reads as an ordinary counter reset. A metrics failure never
stops a message.
"""

import logging
from collections.abc import Iterator

import redis
from django.db import transaction
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from sms import conf, limits

logger = logging.getLogger(__name__)
NO_PROVIDER = "none"


def _hash_key() -> str:
    return limits.key("metrics", "messages")


def count_status(*, provider: str, status: str, count: int = 1) -> None:
    """Count `count` messages entering `status` once the current transaction commits."""
    field = f"{provider or NO_PROVIDER}|{status}"

    def increment() -> None:
        if not conf.redis_url():
            return
        try:
            limits.client().hincrby(_hash_key(), field, count)
        except redis.RedisError:
            logger.warning("could not count an SMS status change in Redis")

    transaction.on_commit(increment)


def _family() -> CounterMetricFamily:
    return CounterMetricFamily(
        "luckygas_sms_messages",
        "SMS messages that entered a status, per provider (none before one is chosen).",
        labels=["provider", "status"],
    )


class SmsMessagesCollector(Collector):
    def describe(self) -> Iterator[CounterMetricFamily]:
        # Registering asks for the names; without this it would call collect() (and Redis) at startup.
        yield _family()

    def collect(self) -> Iterator[CounterMetricFamily]:
        if not conf.redis_url():
            return  # the embedded default (`make run` without Redis) has nowhere to count
        family = _family()
        try:
            counts = limits.client().hgetall(_hash_key())
        except redis.RedisError:
            return  # readiness reports Redis; a scrape never fails because of it
        for field, value in sorted(counts.items()):
            provider, _separator, status = field.decode().partition("|")
            family.add_metric([provider, status], int(value))
        yield family


_collector: SmsMessagesCollector | None = None


def register_collector() -> None:
    """Serve the collector on /metrics once (single-process and multiprocess mode)."""
    global _collector
    if _collector is None:
        from luckygas.metrics import register_scrape_time_collector

        _collector = SmsMessagesCollector()
        register_scrape_time_collector(_collector)
