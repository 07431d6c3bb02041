"""SFTP sessions to a bank: at most `MAX_SESSIONS` per bank across every process, leased and reused."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator

import paramiko

from banking.semaphore import LocalSemaphore, RedisSemaphore, Semaphore
from banking.transport.common import MAX_SESSIONS, Endpoint, HostKeyMismatchError, TransportError, parse_host_key

logger = logging.getLogger("banking.transport")


class Session:
    """One SSH connection with one SFTP channel; used by one borrower at a time.

    `on_close` runs once when the session closes (it gives the session's slot back).
    """

    def __init__(
        self, endpoint: Endpoint, *, timeout: float = 15.0, on_close: Callable[[], None] | None = None
    ) -> None:
        self.endpoint = endpoint
        self._on_close = on_close
        self.idle_since = 0.0
        try:
            sock = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
        except BaseException:
            self._closed()
            raise
        self.transport = paramiko.Transport(sock)
        # Large windows and packets: the default 2 MiB window stalls on bulk uploads.
        self.transport.default_window_size = 64 * 1024 * 1024
        self.transport.packetizer.REKEY_BYTES = pow(2, 40)
        self.transport.packetizer.REKEY_PACKETS = pow(2, 40)
        try:
            self.transport.start_client(timeout=timeout)
            offered = self.transport.get_remote_server_key()
            pinned = parse_host_key(endpoint.host_key)
            if offered.get_name() != pinned.get_name() or offered.asbytes() != pinned.asbytes():
                raise HostKeyMismatchError(
                    f"bank {endpoint.bank_code}: host key {offered.get_name()} {offered.get_base64()[:16]}… "
                    "is not the pinned key; refusing to connect"
                )
            self.transport.auth_publickey(endpoint.username, endpoint.private_key)
            self.sftp = paramiko.SFTPClient.from_transport(self.transport, window_size=64 * 1024 * 1024)
            if self.sftp is None:
                raise TransportError("the server refused the SFTP subsystem")
            self.sftp.get_channel().settimeout(timeout * 4)
        except BaseException:
            self.close()
            raise

    @property
    def is_alive(self) -> bool:
        return self.transport.is_active()

    def _closed(self) -> None:
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.transport.close()
        self._closed()


def session_slots(bank_code: str, size: int) -> Semaphore:
    """The bank's session slots, shared by every worker through Redis (per process without Redis)."""
    from django.conf import settings

    if settings.REDIS_URL:
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "luckygas")
        return RedisSemaphore(
            url=settings.REDIS_URL,
            key=f"{prefix}:banking:sftp_sessions:{bank_code}",
            limit=size,
            lease_seconds=settings.BANKING_SFTP_LEASE_SECONDS,
        )
    return LocalSemaphore(limit=size)


class SessionPool:
    """At most `size` sessions per bank across all workers; idle sessions are reused, broken ones discarded.

    Every open session (borrowed or idle) holds one slot of the bank's shared semaphore, taken
    before connecting and given back when the session closes; the slot's lease is renewed while
    the session lives (`_keep_leases`), so a worker that dies frees its slots when the lease runs
    out. An idle session closes after `idle_seconds` so other workers are not kept waiting.
    """

    def __init__(self, endpoint: Endpoint, size: int = MAX_SESSIONS, *, slots: Semaphore | None = None) -> None:
        from django.conf import settings

        self.endpoint = endpoint
        self.size = size
        self.slots = slots or session_slots(endpoint.bank_code, size)
        self.idle_seconds = settings.BANKING_SFTP_IDLE_SECONDS
        self.wait_seconds = settings.BANKING_SFTP_SLOT_WAIT_SECONDS
        self._lock = threading.Lock()
        self._idle: list[Session] = []  # most recently used last
        self._tokens: dict[int, str] = {}  # id(session) → its slot, for every open session

    def _pop_idle(self) -> Session | None:
        while True:
            with self._lock:
                candidate = self._idle.pop() if self._idle else None
            if candidate is None or candidate.is_alive:
                return candidate
            candidate.close()

    def _borrow(self, *, fresh: bool) -> Session:
        """An idle session, or a new one once a slot is free; waits up to `wait_seconds`."""
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.02
        while True:
            if not fresh and (idle := self._pop_idle()) is not None:
                return idle
            token = self.slots.try_acquire()
            if token is not None:
                return self._connect(token)
            # A fresh connection must not wait on our own idle sessions' slots: close one instead.
            if fresh and self._close_idle(oldest_only=True):
                continue
            if time.monotonic() >= deadline:
                raise TransportError(f"bank {self.endpoint.bank_code}: all {self.size} sessions busy")
            time.sleep(delay)
            delay = min(0.25, delay * 1.5)

    def _connect(self, token: str) -> Session:
        holder: dict[str, Session] = {}

        def give_back() -> None:
            with self._lock:
                session = holder.get("session")
                if session is not None:
                    self._tokens.pop(id(session), None)
            self.slots.release(token)

        session = Session(self.endpoint, on_close=give_back)
        with self._lock:
            holder["session"] = session
            self._tokens[id(session)] = token
        _register(self)
        return session

    def _close_idle(self, *, oldest_only: bool = False, older_than: float | None = None) -> int:
        with self._lock:
            if oldest_only:
                closing = self._idle[:1]
            elif older_than is not None:
                closing = [session for session in self._idle if session.idle_since < older_than]
            else:
                closing = list(self._idle)
            self._idle = [session for session in self._idle if session not in closing]
        for session in closing:
            session.close()
        return len(closing)

    @contextlib.contextmanager
    def session(self, *, fresh: bool = False) -> Iterator[Session]:
        """Borrow a session; `fresh` opens a new connection (a verifier seeing what another client sees)."""
        self._close_idle(older_than=time.monotonic() - self.idle_seconds)
        session = self._borrow(fresh=fresh)
        try:
            yield session
        except BaseException:
            session.close()
            raise
        if session.is_alive:
            session.idle_since = time.monotonic()
            with self._lock:
                self._idle.append(session)
        else:
            session.close()

    def keep_leases(self) -> None:
        """Renew the slots of this pool's open sessions and close idle sessions past their time."""
        self._close_idle(older_than=time.monotonic() - self.idle_seconds)
        with self._lock:
            tokens = list(self._tokens.values())
        lost = self.slots.renew(tokens)
        if lost:
            logger.warning("bank %s: %s session slot leases had expired", self.endpoint.bank_code, len(lost))

    def close(self) -> None:
        self._close_idle()


_pools: dict[tuple, SessionPool] = {}
_pools_lock = threading.Lock()
_live_pools: weakref.WeakSet[SessionPool] = weakref.WeakSet()
_keeper: threading.Thread | None = None


def _register(pool: SessionPool) -> None:
    """Track a pool with open sessions, and start this process's lease keeper, which renews their slots."""
    global _keeper
    with _pools_lock:
        _live_pools.add(pool)
        if _keeper is not None and _keeper.is_alive():
            return
        _keeper = threading.Thread(target=_keep_leases, name="banking-sftp-leases", daemon=True)
        _keeper.start()


def _keep_leases() -> None:
    from django.conf import settings

    while True:
        # Often enough to renew well before a lease ends, and to free idle sessions' slots on time.
        time.sleep(max(0.1, min(settings.BANKING_SFTP_LEASE_SECONDS / 3, settings.BANKING_SFTP_IDLE_SECONDS)))
        with _pools_lock:
            pools = list(_live_pools)
        for pool in pools:
            try:
                pool.keep_leases()
            except Exception:
                logger.exception("bank %s: renewing session slots failed", pool.endpoint.bank_code)


def pool_for(endpoint: Endpoint) -> SessionPool:
    key = (endpoint.bank_code, endpoint.host, endpoint.port, endpoint.username, endpoint.host_key)
    with _pools_lock:
        if key not in _pools:
            _pools[key] = SessionPool(endpoint)
        return _pools[key]


def close_all_pools() -> None:
    """Close every idle session (pools stay registered: a client holding one keeps its slots tracked)."""
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.close()
