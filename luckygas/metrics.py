"""GET /metrics: django-prometheus's metrics plus the Celery queue lengths read at scrape time.

With gunicorn's several workers, each writes its metrics to PROMETHEUS_MULTIPROC_DIR and the
scrape adds them up (prometheus_client's multiprocess mode). The queue lengths come straight
from the broker (one LLEN per queue), so every web pod reports the same figure: alerts take
`max by (queue)`.
"""

import os
from collections.abc import Iterator

import prometheus_client
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# The queues the apps route tasks to (deploy/base/workers.yaml runs a worker for each).
CELERY_QUEUES = ("default", "sms", "banking", "exports")


class CeleryQueueLengthCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        if not settings.REDIS_URL:
            return
        import redis

        from luckygas.redis import redis_client

        gauge = GaugeMetricFamily(
            "luckygas_celery_queue_length", "Tasks waiting in a Celery queue (Redis broker).", labels=["queue"]
        )
        try:
            client = redis_client(timeout=2, connect_timeout=2)
            with client.pipeline(transaction=False) as pipeline:
                for queue in CELERY_QUEUES:
                    pipeline.llen(queue)
                lengths = pipeline.execute()
        except redis.RedisError:
            return  # readiness reports Redis; a scrape never fails because of it
        for queue, length in zip(CELERY_QUEUES, lengths, strict=True):
            gauge.add_metric([queue], length)
        yield gauge


# Collectors that compute their figures at scrape time from a shared store (Redis, the
# database) rather than from this process's counters; apps add theirs in AppConfig.ready().
_scrape_time_collectors: list[Collector] = []


def register_scrape_time_collector(collector: Collector) -> None:
    """Serve `collector` on /metrics in single-process and in gunicorn's multiprocess mode."""
    if collector in _scrape_time_collectors:
        return
    _scrape_time_collectors.append(collector)
    prometheus_client.REGISTRY.register(collector)


def metrics(request: HttpRequest) -> HttpResponse:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        for collector in _scrape_time_collectors:
            registry.register(collector)
    else:
        registry = prometheus_client.CollectorRegistry()
        registry.register(_DefaultRegistry())
    registry.register(CeleryQueueLengthCollector())
    return HttpResponse(prometheus_client.generate_latest(registry), content_type=prometheus_client.CONTENT_TYPE_LATEST)


class _DefaultRegistry(Collector):
    """The process's own registry, as one collector (single-process servers, tests)."""

    def collect(self) -> Iterator[prometheus_client.Metric]:
        yield from prometheus_client.REGISTRY.collect()
