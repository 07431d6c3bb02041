"""Circuit breakers: closed → open after `threshold` failures in a row → after the cooldown, one
probe at a time (half open) → closed on a success, open again on a failure.

`RedisBreaker` keeps each circuit in a Redis hash changed only by Lua scripts, so every worker
sees one state and only one of them probes. `LocalBreaker` is its in-process twin for a single
process without Redis (the embedded `make run` default). Both take the time as an argument
(`now`), so callers and tests inject their clock.
"""

import datetime
import threading
from collections.abc import Callable
from typing import Protocol

import redis

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

_ALLOW = """
-- KEYS: circuit hash. ARGV: now_ms, probe_ttl_ms. Returns 1 when the caller may send.
local state = redis.call("HGET", KEYS[1], "state")
local now_ms = tonumber(ARGV[1])
if not state or state == "closed" then return 1 end
if state == "open" then
  if now_ms >= tonumber(redis.call("HGET", KEYS[1], "open_until") or "0") then
    redis.call("HSET", KEYS[1], "state", "half_open", "probe_until", tostring(now_ms + tonumber(ARGV[2])))
    return 1
  end
  return 0
end
if now_ms >= tonumber(redis.call("HGET", KEYS[1], "probe_until") or "0") then
  redis.call("HSET", KEYS[1], "probe_until", tostring(now_ms + tonumber(ARGV[2])))
  return 1
end
return 0
"""

_RECORD = """
-- KEYS: circuit hash. ARGV: success (1/0), threshold, cooldown_ms, now_ms. Returns the new state.
if ARGV[1] == "1" then
  redis.call("HSET", KEYS[1], "state", "closed", "failures", "0")
  return "closed"
end
local state = redis.call("HGET", KEYS[1], "state") or "closed"
local failures = redis.call("HINCRBY", KEYS[1], "failures", 1)
if state == "half_open" or (state == "closed" and failures >= tonumber(ARGV[2])) then
  redis.call("HSET", KEYS[1], "state", "open", "open_until", tostring(tonumber(ARGV[4]) + tonumber(ARGV[3])))
  return "open"
end
return state
"""


def _ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


class Breaker(Protocol):
    def allows(self, key: str, *, now: datetime.datetime, probe_ttl_seconds: int = 30) -> bool:
        """True when a call may go out (a closed circuit, or the one probe of a half-open one)."""

    def record(
        self, key: str, *, is_success: bool, threshold: int, cooldown_seconds: float, now: datetime.datetime
    ) -> str:
        """Record a call's outcome; returns the new state."""

    def state(self, key: str, *, now: datetime.datetime) -> str:
        """closed, open or half_open (an open circuit whose cooldown is over reads as half_open)."""

    def failures(self, key: str) -> int:
        """Failures recorded since the last success."""

    def forget(self, key: str) -> None:
        """Drop the circuit: it starts closed, with no failures."""


def _state_from(values: dict[str, str], now: datetime.datetime) -> str:
    state = values.get("state", CLOSED)
    if state == OPEN and _ms(now) >= int(float(values.get("open_until", "0"))):
        return HALF_OPEN
    return state


class RedisBreaker:
    def __init__(self, client: Callable[[], redis.Redis]) -> None:
        self._client = client

    def allows(self, key: str, *, now: datetime.datetime, probe_ttl_seconds: int = 30) -> bool:
        script = self._client().register_script(_ALLOW)
        return bool(script(keys=[key], args=[_ms(now), probe_ttl_seconds * 1000]))

    def record(
        self, key: str, *, is_success: bool, threshold: int, cooldown_seconds: float, now: datetime.datetime
    ) -> str:
        script = self._client().register_script(_RECORD)
        state = script(
            keys=[key], args=["1" if is_success else "0", threshold, round(cooldown_seconds * 1000), _ms(now)]
        )
        return state.decode() if isinstance(state, bytes) else str(state)

    def state(self, key: str, *, now: datetime.datetime) -> str:
        values = self._client().hgetall(key)
        return _state_from({name.decode(): value.decode() for name, value in values.items()}, now)

    def failures(self, key: str) -> int:
        return int(self._client().hget(key, "failures") or 0)

    def forget(self, key: str) -> None:
        self._client().delete(key)


class LocalBreaker:
    """The same rules as `RedisBreaker`'s scripts, under one lock, for one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._circuits: dict[str, dict[str, str]] = {}

    def allows(self, key: str, *, now: datetime.datetime, probe_ttl_seconds: int = 30) -> bool:
        now_ms = _ms(now)
        with self._lock:
            circuit = self._circuits.setdefault(key, {})
            state = circuit.get("state", CLOSED)
            if state == CLOSED:
                return True
            if state == OPEN:
                if now_ms >= float(circuit.get("open_until", "0")):
                    circuit.update(state=HALF_OPEN, probe_until=str(now_ms + probe_ttl_seconds * 1000))
                    return True
                return False
            if now_ms >= float(circuit.get("probe_until", "0")):
                circuit["probe_until"] = str(now_ms + probe_ttl_seconds * 1000)
                return True
            return False

    def record(
        self, key: str, *, is_success: bool, threshold: int, cooldown_seconds: float, now: datetime.datetime
    ) -> str:
        with self._lock:
            circuit = self._circuits.setdefault(key, {})
            if is_success:
                circuit.update(state=CLOSED, failures="0")
                return CLOSED
            state = circuit.get("state", CLOSED)
            failures = int(circuit.get("failures", "0")) + 1
            circuit["failures"] = str(failures)
            if state == HALF_OPEN or (state == CLOSED and failures >= threshold):
                circuit.update(state=OPEN, open_until=str(_ms(now) + round(cooldown_seconds * 1000)))
                return OPEN
            return state

    def state(self, key: str, *, now: datetime.datetime) -> str:
        with self._lock:
            return _state_from(dict(self._circuits.get(key, {})), now)

    def failures(self, key: str) -> int:
        with self._lock:
            return int(self._circuits.get(key, {}).get("failures", "0"))

    def forget(self, key: str) -> None:
        with self._lock:
            self._circuits.pop(key, None)

    def reset(self) -> None:
        """Forget every circuit (a process restart does the same)."""
        with self._lock:
            self._circuits.clear()
