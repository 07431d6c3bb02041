"""The bank client: deliver (upload, verify, never twice), list and download, with retries and the breaker."""

from __future__ import annotations

import hashlib
import logging
import posixpath
import time
from collections.abc import Callable

from banking.transport.breaker import CircuitBreaker
from banking.transport.common import (
    TRANSPORT_ERRORS,
    CircuitOpenError,
    DeliveryResult,
    DeliveryVerificationError,
    Endpoint,
    HostKeyMismatchError,
    TransportError,
)
from banking.transport.pool import Session, pool_for

logger = logging.getLogger("banking.transport")


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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`sleep` waits out each backoff; tests pass their own to act at that moment instead of waiting."""
        self.endpoint = endpoint
        self.pool = pool_for(endpoint)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.breaker = breaker or CircuitBreaker(endpoint.bank_code)
        self.on_stage = on_stage or (lambda stage: None)
        self.sleep = sleep

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
                self.sleep(min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))
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
