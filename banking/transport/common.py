"""The transport's shared vocabulary: its errors, an endpoint, a delivery's result, key parsing."""

from __future__ import annotations

import base64
import io
import socket
from dataclasses import dataclass, field

import paramiko

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
