"""SFTP transport to a bank (paramiko): pinned host keys, a session pool, retries and a circuit breaker.

- The server's host key must equal the pinned key; an unknown or changed key is refused.
- At most `MAX_SESSIONS` sessions per bank in a process; each borrower gets its own SFTP session
  (paramiko sessions are not thread-safe).
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
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import paramiko
from django.core.cache import cache

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
    """One SSH connection with one SFTP channel; used by one borrower at a time."""

    def __init__(self, endpoint: Endpoint, *, timeout: float = 15.0) -> None:
        self.endpoint = endpoint
        sock = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
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
            self.transport.close()
            raise

    @property
    def is_alive(self) -> bool:
        return self.transport.is_active()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.transport.close()


class SessionPool:
    """At most `size` sessions per bank; idle sessions are reused, broken ones discarded."""

    def __init__(self, endpoint: Endpoint, size: int = MAX_SESSIONS) -> None:
        self.endpoint = endpoint
        self._slots = threading.BoundedSemaphore(size)
        self._idle: queue.LifoQueue[Session] = queue.LifoQueue()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        if not self._slots.acquire(timeout=120):
            raise TransportError(f"bank {self.endpoint.bank_code}: all {MAX_SESSIONS} sessions busy")
        session: Session | None = None
        try:
            while session is None:
                try:
                    candidate = self._idle.get_nowait()
                except queue.Empty:
                    session = Session(self.endpoint)
                    break
                if candidate.is_alive:
                    session = candidate
                else:
                    candidate.close()
            yield session
        except BaseException:
            if session is not None:
                session.close()
            session = None
            raise
        finally:
            if session is not None:
                self._idle.put(session)
            self._slots.release()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


_pools: dict[tuple, SessionPool] = {}
_pools_lock = threading.Lock()


def pool_for(endpoint: Endpoint) -> SessionPool:
    key = (endpoint.bank_code, endpoint.host, endpoint.port, endpoint.username, endpoint.host_key)
    with _pools_lock:
        if key not in _pools:
            _pools[key] = SessionPool(endpoint)
        return _pools[key]


def close_all_pools() -> None:
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


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
            verifier = Session(self.endpoint)
            try:
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
            finally:
                verifier.close()
            stage_seconds["verify"] = time.perf_counter() - started
            self.on_stage("verified")
            return DeliveryResult(remote_path, size, sha256, attempts, already_present=False)

        result = self._call(operation, before_retry=lambda: self._find_delivered(folder, name, size, sha256))
        assert isinstance(result, DeliveryResult)  # noqa: S101
        result.attempts = max(result.attempts, attempts)
        result.stage_seconds = stage_seconds
        return result
