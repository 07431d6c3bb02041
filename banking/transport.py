"""SFTP transport to a bank (paramiko): pinned host keys, a session pool, retries and a circuit breaker.

- The server's host key must equal the pinned key; an unknown or changed key is refused.
- At most `MAX_SESSIONS` sessions per bank across every worker and process (a semaphore in Redis
  whose slots are leases, so a crashed worker's slots come free); each borrower gets its own SFTP
  session (paramiko sessions are not thread-safe).
- Retries with exponential backoff on transport errors only; a refused host key, a failed
  verification or a missing secret is never retried.
- A circuit breaker per bank shared by every worker (state in the Django cache, i.e. Redis):
  `FAILURE_THRESHOLD` failures open it for `cooldown` seconds; then one trial call (half open).
- Upload to a temporary name, rename, then `stat` and re-read the file to compare size and SHA-256
  from a fresh session, before the file counts as delivered. Before every retry the remote folder
  is listed: a file already there with the right size and hash is not uploaded again.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import logging
import posixpath
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import paramiko
from django.core.cache import cache

from banking.semaphore import LocalSemaphore, RedisSemaphore, Semaphore

logger = logging.getLogger(__name__)

MAX_SESSIONS = 5
FAILURE_THRESHOLD = 3
DEFAULT_COOLDOWN_SECONDS = 300
TRANSPORT_ERRORS = (OSError, EOFError, paramiko.SSHException, socket.timeout)


class TransportError(Exception):
    """A failure talking to the bank's server."""


class HostKeyMismatchError(TransportError):
    """The server presented a host key other than the pinned one: refuse, never retry."""


class CircuitOpenError(TransportError):
    """The bank's circuit breaker is open: calls are refused until the cooldown passes."""


class DeliveryVerificationError(TransportError):
    """The server accepted the upload, but the file is missing or differs afterwards."""


@dataclass(frozen=True)
class Endpoint:
    bank_code: str
    host: str
    port: int
    username: str
    host_key: str  # "ssh-ed25519 AAAA…" (OpenSSH public key line)
    private_key: paramiko.PKey


@dataclass
class DeliveryResult:
    remote_path: str
    size: int
    sha256: str
    attempts: int
    already_present: bool
    stage_seconds: dict[str, float] = field(default_factory=dict)


def load_private_key(text: str) -> paramiko.PKey:
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise TransportError("the SFTP private key is not an Ed25519, ECDSA or RSA key")


def parse_host_key(line: str) -> paramiko.PKey:
    parts = line.split()
    if len(parts) < 2:
        raise TransportError("the pinned host key must look like 'ssh-ed25519 AAAA…'")
    return paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1]))


# --- Circuit breaker ---------------------------------------------------------------------
class CircuitBreaker:
    """Per-bank breaker whose state lives in the shared cache (Redis), so all workers agree."""

    def __init__(self, bank_code: str, *, threshold: int = FAILURE_THRESHOLD, cooldown: float | None = None) -> None:
        from banking.conf import breaker_cooldown_seconds

        self.bank_code = bank_code
        self.threshold = threshold
        self.cooldown = breaker_cooldown_seconds() if cooldown is None else cooldown
        self._failures_key = f"banking:breaker:{bank_code}:failures"
        self._opened_key = f"banking:breaker:{bank_code}:opened_at"

    def state(self) -> str:
        opened_at = cache.get(self._opened_key)
        if opened_at is None:
            return "closed"
        return "open" if time.time() < opened_at + self.cooldown else "half_open"

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
            cache.set(self._opened_key, time.time(), timeout=None)
            logger.warning("bank %s: circuit breaker opened after %s failures", self.bank_code, failures)


# --- Sessions ----------------------------------------------------------------------------
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

    from banking.conf import sftp_lease_seconds

    if settings.REDIS_URL:
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "luckygas")
        return RedisSemaphore(
            url=settings.REDIS_URL,
            key=f"{prefix}:banking:sftp_sessions:{bank_code}",
            limit=size,
            lease_seconds=sftp_lease_seconds(),
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
        from banking.conf import sftp_idle_seconds, sftp_slot_wait_seconds

        self.endpoint = endpoint
        self.size = size
        self.slots = slots or session_slots(endpoint.bank_code, size)
        self.idle_seconds = sftp_idle_seconds()
        self.wait_seconds = sftp_slot_wait_seconds()
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
    from banking.conf import sftp_idle_seconds, sftp_lease_seconds

    while True:
        # Often enough to renew well before a lease ends, and to free idle sessions' slots on time.
        time.sleep(max(0.1, min(sftp_lease_seconds() / 3, sftp_idle_seconds())))
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


# --- The client --------------------------------------------------------------------------
def _remote_sha256(session: Session, path: str) -> str:
    digest = hashlib.sha256()
    with session.sftp.open(path, "rb") as remote:
        remote.prefetch()
        while chunk := remote.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class BankClient:
    def __init__(
        self,
        endpoint: Endpoint,
        *,
        max_attempts: int = 4,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        breaker: CircuitBreaker | None = None,
        on_stage: Callable[[str], None] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.pool = pool_for(endpoint)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.breaker = breaker or CircuitBreaker(endpoint.bank_code)
        self.on_stage = on_stage or (lambda stage: None)

    def _call(self, operation: Callable[[], object], *, before_retry: Callable[[], object] | None = None) -> object:
        """Run `operation` with the breaker, retrying transport errors with exponential backoff."""
        attempt = 0
        while True:
            self.breaker.before_call()
            attempt += 1
            try:
                if attempt > 1 and before_retry is not None:
                    result = before_retry()
                    if result is not None:
                        self.breaker.record_success()
                        return result
                result = operation()
            except (HostKeyMismatchError, DeliveryVerificationError, CircuitOpenError):
                self.breaker.record_failure()
                raise
            except TRANSPORT_ERRORS as error:
                self.breaker.record_failure()
                logger.warning(
                    "bank %s: transport error on attempt %s/%s: %s",
                    self.endpoint.bank_code,
                    attempt,
                    self.max_attempts,
                    type(error).__name__,
                )
                if attempt >= self.max_attempts:
                    raise TransportError(
                        f"bank {self.endpoint.bank_code}: gave up after {attempt} attempts: {error!r}"
                    ) from error
                time.sleep(min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))
                continue
            self.breaker.record_success()
            return result

    def list_folder(self, folder: str) -> list[str]:
        def operation() -> list[str]:
            with self.pool.session() as session:
                return sorted(session.sftp.listdir(folder))

        return self._call(operation)  # type: ignore[return-value]

    def download(self, path: str) -> bytes:
        def operation() -> bytes:
            with self.pool.session() as session, session.sftp.open(path, "rb") as remote:
                remote.prefetch()
                return remote.read()

        return self._call(operation)  # type: ignore[return-value]

    def _find_delivered(self, folder: str, name: str, size: int, sha256: str) -> DeliveryResult | None:
        """Before a retry: is the file already there (the previous attempt's acknowledgement was lost)?"""
        remote_path = posixpath.join(folder, name)
        with self.pool.session() as session:
            if name not in session.sftp.listdir(folder):
                return None
            if session.sftp.stat(remote_path).st_size == size and _remote_sha256(session, remote_path) == sha256:
                self.on_stage("found_after_lost_acknowledgement")
                return DeliveryResult(remote_path, size, sha256, attempts=0, already_present=True)
        return None

    def deliver(self, *, data: bytes, folder: str, name: str) -> DeliveryResult:
        """Upload `data` as `folder/name` exactly once, verified by size and SHA-256 from a fresh session."""
        size = len(data)
        sha256 = hashlib.sha256(data).hexdigest()
        remote_path = posixpath.join(folder, name)
        temporary_path = posixpath.join(folder, f".{name}.part")
        attempts = 0
        stage_seconds: dict[str, float] = {}

        def operation() -> DeliveryResult:
            nonlocal attempts
            attempts += 1
            started = time.perf_counter()
            with self.pool.session() as session:
                if name in session.sftp.listdir(folder):
                    # Never overwrite a delivered file: a file of that name with other content is an error.
                    if (
                        session.sftp.stat(remote_path).st_size == size
                        and _remote_sha256(session, remote_path) == sha256
                    ):
                        return DeliveryResult(remote_path, size, sha256, attempts, already_present=True)
                    raise DeliveryVerificationError(f"{remote_path} already exists with other content")
                with session.sftp.open(temporary_path, "wb") as remote:
                    remote.set_pipelined(True)
                    view = memoryview(data)
                    for offset in range(0, size, 256 * 1024):
                        remote.write(view[offset : offset + 256 * 1024])
                stage_seconds["upload"] = time.perf_counter() - started
                self.on_stage("uploaded")
                session.sftp.posix_rename(temporary_path, remote_path)
                self.on_stage("renamed")
            started = time.perf_counter()
            # Verify from a new connection: what another client (the bank) would see.
            with self.pool.session(fresh=True) as verifier:
                try:
                    attributes = verifier.sftp.stat(remote_path)
                except FileNotFoundError as error:
                    raise DeliveryVerificationError(
                        f"{remote_path}: the server accepted the upload but the file is not there"
                    ) from error
                if attributes.st_size != size:
                    raise DeliveryVerificationError(
                        f"{remote_path}: {attributes.st_size} bytes on the server, {size} sent"
                    )
                if _remote_sha256(verifier, remote_path) != sha256:
                    raise DeliveryVerificationError(f"{remote_path}: SHA-256 on the server differs from the sent file")
            stage_seconds["verify"] = time.perf_counter() - started
            self.on_stage("verified")
            return DeliveryResult(remote_path, size, sha256, attempts, already_present=False)

        result = self._call(operation, before_retry=lambda: self._find_delivered(folder, name, size, sha256))
        assert isinstance(result, DeliveryResult)  # noqa: S101
        result.attempts = max(result.attempts, attempts)
        result.stage_seconds = stage_seconds
        return result
