"""Live updates: dirty marks, sequence numbers, and the ticker that pushes snapshots.

Delivery events mark metrics dirty (a Redis set, so 1,000 events mark a metric once). One ticker
process (`manage.py run_dashboard_ticker`) wakes every interval, recomputes the dirty metrics,
raises each metric's sequence number per audience group and sends one message per metric per
group. A Redis lock makes sure only one ticker pushes, however many are started.

Without `REDIS_URL` (the embedded `make run` default: in-memory channel layer) the same ticker
runs as a thread inside the web process, and dirty marks and sequences live in that process.
"""

import json
import logging
import os
import socket
import threading
import time
from typing import Any

import redis
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from dashboard.metrics import METRICS, default_period, local_today, snapshot_compute
from luckygas.realtime import group_send_many
from luckygas.redis import redis_client as shared_redis_client

logger = logging.getLogger(__name__)

PREFIX = "dashboard:live"
DIRTY_KEY = f"{PREFIX}:dirty"
LOCK_KEY = f"{PREFIX}:ticker-lock"
FAILURES_KEY = f"{PREFIX}:task-failures"
DEFAULT_INTERVAL = float(os.environ.get("DASHBOARD_TICK_SECONDS", "5"))

_local_lock = threading.Lock()
_local_dirty: set[str] = set()
_local_seq: dict[str, int] = {}
_local_failures: list[dict[str, Any]] = []
_client: redis.Redis | None = None


def redis_client() -> redis.Redis:
    global _client
    if _client is None:
        _client = shared_redis_client(timeout=None, connect_timeout=None, decode_responses=True)
    return _client


def group_name(audience: str) -> str:
    return f"dashboard.{audience}"


def mark_dirty(*metric_names: str) -> None:
    if not metric_names:
        return
    if settings.REDIS_URL:
        redis_client().sadd(DIRTY_KEY, *metric_names)
    else:
        with _local_lock:
            _local_dirty.update(metric_names)


def take_dirty() -> set[str]:
    """Atomically read and clear the dirty set."""
    if settings.REDIS_URL:
        pipe = redis_client().pipeline()
        pipe.smembers(DIRTY_KEY)
        pipe.delete(DIRTY_KEY)
        members, _deleted = pipe.execute()
        return set(members)
    with _local_lock:
        taken = set(_local_dirty)
        _local_dirty.clear()
        return taken


def _seq_key(audience: str, metric: str) -> str:
    return f"{PREFIX}:seq:{audience}:{metric}"


def next_seq(audience: str, metric: str) -> int:
    """The metric's next sequence number for the audience, always above every number sent before.

    A sequence that Redis lost (flushed, or restarted without its data) starts again from the clock in
    microseconds, not from 1: a push is at most one per metric per tick, so the new numbers are above
    the old ones, and a page (or any client) sees a gap and re-reads the snapshot instead of skipping
    every later push as already applied.
    """
    if settings.REDIS_URL:
        pipeline = _seeded(_seq_key(audience, metric))
        pipeline.incr(_seq_key(audience, metric))
        return int(pipeline.execute()[1])
    with _local_lock:
        _local_seq[_seq_key(audience, metric)] = _local_seq.get(_seq_key(audience, metric), 0) + 1
        return _local_seq[_seq_key(audience, metric)]


def _seeded(key: str) -> "redis.client.Pipeline":
    """A MULTI/EXEC pipeline (one round trip) that first starts a missing sequence from the clock."""
    pipeline = redis_client().pipeline()
    pipeline.set(key, time.time_ns() // 1000, nx=True)
    return pipeline


def current_seq(audience: str, metric: str) -> int:
    """The last number sent (or the starting point the next push counts from): what a snapshot carries."""
    if settings.REDIS_URL:
        pipeline = _seeded(_seq_key(audience, metric))
        pipeline.get(_seq_key(audience, metric))
        return int(pipeline.execute()[1])
    with _local_lock:
        return _local_seq.get(_seq_key(audience, metric), 0)


def record_task_failure(*, task_name: str, exception_type: str) -> None:
    """Keep the last 100 Celery task failures for the system-health panel (no arguments: they may be personal)."""
    failure = {"task": task_name, "exception": exception_type, "at": timezone.now().isoformat()}
    if settings.REDIS_URL:
        pipe = redis_client().pipeline()
        pipe.lpush(FAILURES_KEY, json.dumps(failure))
        pipe.ltrim(FAILURES_KEY, 0, 99)
        pipe.execute()
    else:
        with _local_lock:
            _local_failures.insert(0, failure)
            del _local_failures[100:]


def recent_task_failures() -> list[dict[str, Any]]:
    if settings.REDIS_URL:
        return [json.loads(item) for item in redis_client().lrange(FAILURES_KEY, 0, 99)]
    with _local_lock:
        return list(_local_failures)


class Ticker:
    """Recompute dirty metrics once per interval and push one message per metric per audience group."""

    def __init__(self, *, interval: float = DEFAULT_INTERVAL) -> None:
        self.interval = interval
        self.ticks = 0
        self.pushes = 0
        self._last_refresh: dict[str, float] = {}
        self._last_data: dict[tuple[str, str], str] = {}
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self._stop = threading.Event()

    def due_metrics(self, dirty: set[str], now: float) -> tuple[set[str], set[str]]:
        """The dirty metrics, and those whose periodic refresh is due (pushed only when their data changed)."""
        periodic = {
            metric.name
            for metric in METRICS.values()
            if metric.refresh_seconds and now - self._last_refresh.get(metric.name, 0) >= metric.refresh_seconds
        }
        return {name for name in dirty if name in METRICS}, periodic - dirty

    def tick(self) -> int:
        """One round: returns the number of messages sent."""
        self.ticks += 1
        now = time.monotonic()
        dirty, periodic = self.due_metrics(take_dirty(), now)
        today = local_today()
        sent = 0
        for name in sorted(dirty | periodic):
            metric = METRICS[name]
            self._last_refresh[name] = now
            period = default_period(metric, today)
            for audience in metric.audiences:
                try:
                    entry = snapshot_compute(metric, period, audience)
                except Exception:
                    logger.exception("dashboard metric %s failed", name)
                    continue
                fingerprint = json.dumps(entry["data"], sort_keys=True)
                if name not in dirty and self._last_data.get((name, audience)) == fingerprint:
                    continue
                self._last_data[(name, audience)] = fingerprint
                message = {"type": "metric", **entry, "seq": next_seq(audience, name)}
                group_send_many([(group_name(audience), {"type": "metric.update", "message": message})])
                sent += 1
        self.pushes += sent
        return sent

    def _hold_lock(self) -> bool:
        """Take or extend the single-ticker lock (Redis); always True in the embedded mode."""
        if not settings.REDIS_URL:
            return True
        client = redis_client()
        ttl = max(1, int(self.interval * 3 * 1000))
        if client.set(LOCK_KEY, self._owner, nx=True, px=ttl):
            return True
        if client.get(LOCK_KEY) == self._owner:
            client.pexpire(LOCK_KEY, ttl)
            return True
        return False

    def release(self) -> None:
        if settings.REDIS_URL and redis_client().get(LOCK_KEY) == self._owner:
            redis_client().delete(LOCK_KEY)

    def stop(self) -> None:
        self._stop.set()

    def run(self, *, max_ticks: int | None = None) -> None:
        """Tick on a fixed schedule (no drift) until stopped."""
        next_at = time.monotonic()
        try:
            while not self._stop.is_set() and (max_ticks is None or self.ticks < max_ticks):
                next_at += self.interval
                if self._hold_lock():
                    close_old_connections()
                    try:
                        self.tick()
                    except Exception:
                        logger.exception("dashboard tick failed")
                self._stop.wait(max(0.0, next_at - time.monotonic()))
        finally:
            self.release()
            connections.close_all()


_embedded_ticker: Ticker | None = None


def embedded_ticker_start() -> bool:
    """In the embedded mode (no Redis) run the ticker as a daemon thread of the web process.

    The web process starts it once at startup (the ASGI lifespan, `dashboard.lifespan`): with the
    in-memory channel layer only a ticker inside that process can reach its websockets. With Redis
    the `run_dashboard_ticker` process pushes instead, and this does nothing. True when started.
    """
    global _embedded_ticker
    if settings.REDIS_URL:
        return False
    with _local_lock:
        if _embedded_ticker is not None:
            return False
        _embedded_ticker = Ticker()
        threading.Thread(target=_embedded_ticker.run, name="dashboard-ticker", daemon=True).start()
        return True


def embedded_ticker_stop() -> None:
    global _embedded_ticker
    with _local_lock:
        ticker, _embedded_ticker = _embedded_ticker, None
    if ticker is not None:
        ticker.stop()
