"""Key material for banks: a pluggable secret source with a short in-memory cache.

A bank's `key_reference` (e.g. `BANK_822`) names its secrets; the source resolves
`LUCKYGAS_<REFERENCE>_<PURPOSE>` from the environment, from the file named by
`LUCKYGAS_<REFERENCE>_<PURPOSE>_FILE`, or from the file `$BANKING_SECRETS_DIR/<NAME>` (a
mounted Kubernetes secret). Under DJANGO_DEBUG only, the development keys `seed_demo` writes
(`var/banking-secrets/`, ignored by git) are read last. A cloud secret manager can be added as
another `SecretSource`.
Values are never logged; key use is recorded in the audit trail by the services.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Protocol

# Purposes of bank secrets.
FILE_KEY = "FILE_KEY"  # AES-256-GCM key, base64 (32 bytes)
SIGNING_KEY = "SIGNING_KEY"  # our private key (PEM), Ed25519 or RSA
BANK_PUBLIC_KEY = "BANK_PUBLIC_KEY"  # the bank's public key (PEM), to verify return files
SFTP_KEY = "SFTP_KEY"  # our SSH private key (OpenSSH or PEM)
ACCOUNT_KEY_NAME = "LUCKYGAS_BANKING_ACCOUNT_KEY"  # AES key for account numbers at rest


class SecretNotFoundError(LookupError):
    """A secret no source has; `name` is the variable the operator must set."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"secret {name} is not configured (set it, {name}_FILE, or $BANKING_SECRETS_DIR/{name})")


class SecretSource(Protocol):
    def get(self, name: str) -> str | None: ...


class EnvironmentSource:
    """`NAME` from the environment, or the contents of the file named by `NAME_FILE`."""

    def get(self, name: str) -> str | None:
        file_path = os.environ.get(f"{name}_FILE")
        if file_path:
            return Path(file_path).read_text(encoding="utf-8").strip()
        return os.environ.get(name)


class DirectorySource:
    """Files in a mounted directory (a Kubernetes secret volume): `<root>/<NAME>`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def get(self, name: str) -> str | None:
        path = self.root / name
        return path.read_text(encoding="utf-8").strip() if path.is_file() else None


class CachedSecrets:
    """Asks each source in turn; keeps answers for `ttl` seconds so rotated secrets are picked up."""

    def __init__(self, sources: list[SecretSource], ttl: float = 60.0) -> None:
        self.sources = sources
        self.ttl = ttl
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(name)
            if cached and cached[0] > now:
                return cached[1]
        for source in self.sources:
            value = source.get(name)
            if value:
                with self._lock:
                    self._cache[name] = (now + self.ttl, value)
                return value
        raise SecretNotFoundError(name)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def development_secrets_dir() -> Path:
    """Where `seed_demo` writes the demo bank's development keys (never used with DJANGO_DEBUG off)."""
    from django.conf import settings

    return Path(settings.BANKING_DEVELOPMENT_SECRETS_DIR)


class DevelopmentSource:
    """The development keys of the demo, read only while DJANGO_DEBUG is on (checked at each read)."""

    def get(self, name: str) -> str | None:
        from django.conf import settings

        if not settings.DEBUG:
            return None
        return DirectorySource(development_secrets_dir()).get(name)


def _default_sources() -> list[SecretSource]:
    from django.conf import settings

    sources: list[SecretSource] = [EnvironmentSource()]
    if settings.BANKING_SECRETS_DIR:
        sources.append(DirectorySource(settings.BANKING_SECRETS_DIR))
    sources.append(DevelopmentSource())
    return sources


def _default_ttl() -> float:
    from django.conf import settings

    return settings.BANKING_SECRETS_CACHE_SECONDS


secrets = CachedSecrets(_default_sources(), ttl=_default_ttl())


def bank_secret_name(key_reference: str, purpose: str) -> str:
    return f"LUCKYGAS_{key_reference.upper()}_{purpose}"


def bank_secret(key_reference: str, purpose: str) -> str:
    return secrets.get(bank_secret_name(key_reference, purpose))
