"""The per-bank circuit breaker, its state in the shared cache so every worker agrees."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.core.cache import cache

from banking.transport.common import FAILURE_THRESHOLD, CircuitOpenError

logger = logging.getLogger("banking.transport")


class CircuitBreaker:
    """Per-bank breaker whose state lives in the shared cache (Redis), so all workers agree.

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
        from django.conf import settings

        self.bank_code = bank_code
        self.clock = clock
        self.threshold = threshold
        self.cooldown = settings.BANKING_BREAKER_COOLDOWN_SECONDS if cooldown is None else cooldown
        self._failures_key = f"banking:breaker:{bank_code}:failures"
        self._opened_key = f"banking:breaker:{bank_code}:opened_at"

    def state(self) -> str:
        opened_at = cache.get(self._opened_key)
        if opened_at is None:
            return "closed"
        return "open" if self.clock() < opened_at + self.cooldown else "half_open"

    def before_call(self) -> None:
        if self.state() == "open":
            raise CircuitOpenError(f"bank {self.bank_code}: circuit open after repeated failures; retry later")

    def record_success(self) -> None:
        cache.delete_many([self._failures_key, self._opened_key])

    def record_failure(self) -> None:
        cache.add(self._failures_key, 0, timeout=None)
        failures = cache.incr(self._failures_key)
        state = self.state()
        if failures >= self.threshold and state != "open":
            # Opening (or re-opening after a failed half-open trial) restarts the cooldown.
            cache.set(self._opened_key, self.clock(), timeout=None)
            logger.warning("bank %s: circuit breaker opened after %s failures", self.bank_code, failures)
