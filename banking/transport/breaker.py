"""The per-bank circuit breaker: banking's face on the shared breaker (luckygas/breaker.py).

The circuit lives in Redis (one hash changed by Lua scripts, so every worker sees one state and
only one of them probes); without a Redis URL (the embedded `make run` default, one process) it
lives in the shared in-process `LocalBreaker`, as SMS's circuits do.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

from banking.transport.common import FAILURE_THRESHOLD, CircuitOpenError
from luckygas.breaker import OPEN, Breaker, LocalBreaker, RedisBreaker
from luckygas.redis import redis_client

logger = logging.getLogger("banking.transport")

# A probe that neither succeeds nor fails within this many seconds (a worker killed mid-call)
# lets the next caller probe.
PROBE_LEASE_SECONDS = 300

_redis_breaker = RedisBreaker(lambda: redis_client(settings.REDIS_URL))
local_breaker = LocalBreaker()  # the embedded default's circuits (one process, no Redis)


def _breaker() -> Breaker:
    return _redis_breaker if settings.REDIS_URL else local_breaker


class CircuitBreaker:
    """Per-bank breaker: `threshold` failures in a row open it for `cooldown` seconds, then one
    trial call at a time (half open) closes it on success or opens it again on failure.

    `clock` gives seconds since the epoch: the opening time is stored for every worker and host to
    compare against, so it must be wall-clock time (a monotonic clock is only comparable within one
    boot). Tests pass their own clock to move past the cooldown without sleeping.
    """

    def __init__(
        self,
        bank_code: str,
        *,
        threshold: int = FAILURE_THRESHOLD,
        cooldown: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bank_code = bank_code
        self.clock = clock
        self.threshold = threshold
        self.cooldown = settings.BANKING_BREAKER_COOLDOWN_SECONDS if cooldown is None else cooldown
        # Under the cache's key prefix, so deployments sharing one Redis keep their circuits apart.
        self.key = cache.make_key(f"banking:breaker:{bank_code}")

    def _now(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.clock(), tz=datetime.UTC)

    def state(self) -> str:
        """closed, open or half_open (an open circuit whose cooldown is over reads as half_open)."""
        return _breaker().state(self.key, now=self._now())

    def before_call(self) -> None:
        """Refuse while open; after the cooldown let exactly one caller through as the probe."""
        if not _breaker().allows(self.key, now=self._now(), probe_ttl_seconds=PROBE_LEASE_SECONDS):
            raise CircuitOpenError(f"bank {self.bank_code}: circuit open after repeated failures; retry later")

    def record_success(self) -> None:
        self._record(is_success=True)

    def record_failure(self) -> None:
        was_open = self.state() == OPEN
        if self._record(is_success=False) == OPEN and not was_open:
            # Opening (or re-opening after a failed half-open trial) restarts the cooldown.
            logger.warning("bank %s: circuit breaker opened after %s failures", self.bank_code, self.failures())

    def _record(self, *, is_success: bool) -> str:
        return _breaker().record(
            self.key, is_success=is_success, threshold=self.threshold, cooldown_seconds=self.cooldown, now=self._now()
        )

    def failures(self) -> int:
        """Failures in a row since the last success."""
        return _breaker().failures(self.key)

    def reset(self) -> None:
        """Forget this bank's circuit (closed, no failures)."""
        _breaker().forget(self.key)
