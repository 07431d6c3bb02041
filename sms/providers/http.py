"""Shared httpx clients: one pooled client per provider host, with timeouts and connection limits."""

import threading

import httpx

from sms import conf

_clients: dict[tuple[str, int], httpx.Client] = {}
_lock = threading.Lock()


def client_for(base_url: str, *, max_connections: int) -> httpx.Client:
    key = (base_url, max_connections)
    with _lock:
        client = _clients.get(key)
        if client is None:
            timeout = conf.http_timeout_seconds()
            client = httpx.Client(
                base_url=base_url,
                timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
                limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
                headers={"User-Agent": "LuckyGas-SMS/1.0"},
            )
            _clients[key] = client
        return client
