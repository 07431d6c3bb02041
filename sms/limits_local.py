"""The in-process twins of sms/limits.py's Redis scripts, for the embedded default without Redis.

`make run` (SQLite, no REDIS_URL) is one process, so one lock over one dictionary gives the same
guarantees the Lua scripts give many workers through Redis. Each function takes the scripts'
KEYS and ARGV and answers what the script would; counters expire like the Redis keys do.
"""

import math
import threading
import time

_lock = threading.Lock()
_values: dict[str, tuple[object, float]] = {}  # key -> (value, expires at, monotonic seconds; 0 = never)


def _get(key: str) -> object | None:
    value, expires_at = _values.get(key, (None, 0.0))
    if expires_at and time.monotonic() >= expires_at:
        _values.pop(key, None)
        return None
    return value


def _set(key: str, value: object, ttl_seconds: float = 0) -> None:
    _values[key] = (value, time.monotonic() + ttl_seconds if ttl_seconds else 0.0)


def _seeded_count(key: str, seed: int, ttl_seconds: int) -> int | None:
    """A counter's value, set to `seed` when missing; None when missing with no seed (seed < 0).

    The caller holds `_lock`.
    """
    value = _get(key)
    if value is None:
        if seed < 0:
            return None
        _set(key, seed, ttl_seconds)
        value = seed
    return int(str(value))


def acquire(keys: list[str], args: list[object]) -> tuple[int, int]:
    customer_key, system_key, bucket_key = keys
    segments, customer_limit, customer_seed, customer_ttl = (int(str(value)) for value in args[:4])
    bypass_customer = args[4] == "1"
    system_limit, system_seed, system_ttl, rate, capacity, now_ms = (int(str(value)) for value in args[5:11])
    count_message = args[11] == "1"
    with _lock:
        customer_count = 0
        if customer_key:
            customer_count = _seeded_count(customer_key, customer_seed, customer_ttl)
            if customer_count is None:
                return -1, 0
        system_count = 0
        if count_message:
            system_count = _seeded_count(system_key, system_seed, system_ttl)
            if system_count is None:
                return -2, 0
        bypassed = 0
        if customer_key and customer_count > 0 and customer_count + segments > customer_limit:
            if not bypass_customer:
                return 2, 0
            bypassed = 1
        if count_message and system_count > 0 and system_count + segments > system_limit:
            return 3, 0
        bucket = _get(bucket_key)
        if not isinstance(bucket, dict):
            bucket = {}
        tokens = float(bucket.get("tokens", capacity))
        stamp = float(bucket.get("ts", now_ms))
        if now_ms > stamp:
            tokens = min(capacity, tokens + (now_ms - stamp) * rate / 1000)
        if tokens < segments:
            return 4, math.ceil((segments - tokens) * 1000 / rate)
        _set(bucket_key, {"tokens": tokens - segments, "ts": max(now_ms, stamp)}, 3600)
        if customer_key:
            _set(customer_key, customer_count + segments, customer_ttl)
        if count_message:
            _set(system_key, system_count + segments, system_ttl)
        return bypassed, 0


def window_hit(keys: list[str], args: list[object]) -> int:
    with _lock:
        count = int(str(_get(keys[0]) or 0)) + 1
        value, expires_at = _values.get(keys[0], (None, 0.0))
        if count == 1 or value is None:
            _set(keys[0], count, int(str(args[0])))
        else:
            _values[keys[0]] = (count, expires_at)
        return count


def reset() -> None:
    """Forget every counter (a process restart does the same)."""
    with _lock:
        _values.clear()
