"""Shared httpx clients: one pooled client per provider host, with timeouts and connection limits.

`post_form` is the one place an HTTP failure becomes one of our error kinds, for every provider
that speaks form posts (Mitake, Every8d): whether the message may have left (`ProviderTimeout`)
or surely did not (`ProviderError`) decides whether it is ever sent again.
"""

import threading

import httpx

from sms import conf
from sms.providers import base

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


def post_form(
    client: httpx.Client, path: str, form: dict[str, str], *, provider: str, params: dict[str, str] | None = None
) -> str:
    """POST a form and return the reply's text; raise `ProviderError` or `ProviderTimeout` on failure."""
    try:
        response = client.post(path, params=params, data=form)
    except httpx.ConnectError as error:
        raise base.ProviderError(kind=base.PROVIDER, code="connect", detail="connection refused") from error
    except httpx.TimeoutException as error:
        if isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout):
            raise base.ProviderError(kind=base.PROVIDER, code="connect", detail="connect timeout") from error
        raise base.ProviderTimeout(f"{provider} did not answer in time") from error
    except httpx.TransportError as error:
        # The request may have reached the provider before the connection broke.
        raise base.ProviderTimeout(f"{provider} connection broke") from error
    if response.status_code == 429:
        raise base.ProviderError(kind=base.TEMPORARY, code="http429", detail="rate limited")
    if response.status_code >= 500:
        raise base.ProviderError(kind=base.PROVIDER, code=f"http{response.status_code}", detail="server error")
    if response.status_code >= 400:
        raise base.ProviderError(kind=base.PROVIDER, code=f"http{response.status_code}", detail="refused")
    return response.text
