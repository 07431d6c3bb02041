"""SFTP transport to a bank (paramiko): pinned host keys, a session pool, retries and a circuit breaker.

- The server's host key must equal the pinned key; an unknown or changed key is refused.
- At most `MAX_SESSIONS` sessions per bank across every worker and process (a semaphore in Redis
  whose slots are leases, so a crashed worker's slots come free); each borrower gets its own SFTP
  session (paramiko sessions are not thread-safe).
- Retries with exponential backoff on transport errors only; a refused host key, a failed
  verification or a missing secret is never retried.
- A circuit breaker per bank shared by every worker (luckygas/breaker.py: a Redis hash, or in process without Redis):
  `FAILURE_THRESHOLD` failures open it for `cooldown` seconds; then one trial call (half open).
- Upload to a temporary name, rename, then `stat` and re-read the file to compare size and SHA-256
  from a fresh session, before the file counts as delivered. Before every retry the remote folder
  is listed: a file already there with the right size and hash is not uploaded again.
"""

from banking.transport.breaker import CircuitBreaker
from banking.transport.client import BankClient
from banking.transport.common import (
    DEFAULT_COOLDOWN_SECONDS,
    FAILURE_THRESHOLD,
    MAX_SESSIONS,
    TRANSPORT_ERRORS,
    CircuitOpenError,
    DeliveryResult,
    DeliveryVerificationError,
    Endpoint,
    HostKeyMismatchError,
    TransportError,
    load_private_key,
    parse_host_key,
)
from banking.transport.pool import Session, SessionPool, close_all_pools, pool_for, session_slots

__all__ = [
    "DEFAULT_COOLDOWN_SECONDS",
    "FAILURE_THRESHOLD",
    "MAX_SESSIONS",
    "TRANSPORT_ERRORS",
    "BankClient",
    "CircuitBreaker",
    "CircuitOpenError",
    "DeliveryResult",
    "DeliveryVerificationError",
    "Endpoint",
    "HostKeyMismatchError",
    "Session",
    "SessionPool",
    "TransportError",
    "close_all_pools",
    "load_private_key",
    "parse_host_key",
    "pool_for",
    "session_slots",
]
