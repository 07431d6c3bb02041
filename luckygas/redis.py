"""One place that builds Redis clients, so every caller gets the same timeouts and pooling.

A client (and its connection pool) is built once per URL and option set and shared by the
process's threads; redis-py clients are thread-safe.
"""

import threading

import redis
from django.conf import settings

_clients: dict[tuple[str, float | None, float | None, bool], redis.Redis] = {}
_lock = threading.Lock()


def redis_client(
    url: str = "",
    *,
    timeout: float | None = 5,
    connect_timeout: float | None = 5,
    decode_responses: bool = False,
) -> redis.Redis:
    """The shared client for `url` (default: settings.REDIS_URL). Refuses an empty URL clearly."""
    url = url or settings.REDIS_URL
    if not url:
        raise redis.ConnectionError("No Redis URL is configured (REDIS_URL is empty).")
    options = (url, timeout, connect_timeout, decode_responses)
    with _lock:
        if options not in _clients:
            _clients[options] = redis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=connect_timeout,
                health_check_interval=30,
                decode_responses=decode_responses,
            )
        return _clients[options]
