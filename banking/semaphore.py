"""A counting semaphore shared by every process (Redis), whose slots are leases that expire.

The bank allows at most five SFTP sessions at once, whichever Celery worker or process opens
them. Each slot is a member of a Redis sorted set scored by its lease's expiry (Redis' own
clock, so the workers' clocks don't matter); a holder renews its leases while it holds them,
and a holder that dies stops renewing, so its slots come free once the lease runs out.
Without Redis (`make run`'s embedded default: one process) a process-local semaphore is used.
"""

from __future__ import annotations

import threading
import uuid
from typing import Protocol

# KEYS[1] the set; ARGV: token, limit, lease in ms. Expired leases are dropped first.
_ACQUIRE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
    redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
    return 1
end
return 0
"""

# KEYS[1] the set; ARGV: lease in ms, then the tokens. Returns the tokens whose lease was already gone.
_RENEW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local lost = {}
for index = 2, #ARGV do
    local expires = redis.call('ZSCORE', KEYS[1], ARGV[index])
    if expires and tonumber(expires) > now then
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[index])
    else
        redis.call('ZREM', KEYS[1], ARGV[index])
        table.insert(lost, ARGV[index])
    end
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
return lost
"""


class Semaphore(Protocol):
    limit: int

    def try_acquire(self) -> str | None: ...

    def release(self, token: str) -> None: ...

    def renew(self, tokens: list[str]) -> list[str]: ...


class RedisSemaphore:
    """`limit` slots under `key`, each held for `lease_seconds` unless renewed."""

    def __init__(self, *, url: str, key: str, limit: int, lease_seconds: float) -> None:
        from luckygas.redis import redis_client

        self.client = redis_client(url, timeout=10, connect_timeout=5)
        self.key = key
        self.limit = limit
        self.lease_ms = max(1, int(lease_seconds * 1000))
        self._acquire = self.client.register_script(_ACQUIRE)
        self._renew = self.client.register_script(_RENEW)

    def try_acquire(self) -> str | None:
        token = uuid.uuid4().hex
        if self._acquire(keys=[self.key], args=[token, self.limit, self.lease_ms]):
            return token
        return None

    def release(self, token: str) -> None:
        self.client.zrem(self.key, token)

    def renew(self, tokens: list[str]) -> list[str]:
        if not tokens:
            return []
        lost = self._renew(keys=[self.key], args=[self.lease_ms, *tokens])
        return [token.decode() if isinstance(token, bytes) else token for token in lost]

    def holders(self) -> int:
        """Slots held now (expired leases not counted)."""
        clock_seconds, clock_microseconds = self.client.time()
        now_ms = clock_seconds * 1000 + clock_microseconds // 1000
        return int(self.client.zcount(self.key, f"({now_ms}", "+inf"))


class LocalSemaphore:
    """One process only (no Redis configured): the same interface over a counter."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def try_acquire(self) -> str | None:
        with self._lock:
            if len(self._held) >= self.limit:
                return None
            token = uuid.uuid4().hex
            self._held.add(token)
            return token

    def release(self, token: str) -> None:
        with self._lock:
            self._held.discard(token)

    def renew(self, tokens: list[str]) -> list[str]:
        with self._lock:
            return [token for token in tokens if token not in self._held]
