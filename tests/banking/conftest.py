"""Banking fixtures: a real OpenSSH sshd on loopback, generated bank keys, a bank simulator."""

from __future__ import annotations

import base64
import contextlib
import datetime
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from banking import codec, crypto
from banking import secrets as bank_secrets
from banking.models import Bank
from banking.transport import CircuitBreaker, close_all_pools
from tests.banking.factories import make_bank
from tests.servers import free_port

SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"


class SshServer:
    """A private OpenSSH sshd with its own host key, authorized key and remote folders."""

    def __init__(self, root: Path, *, subsystem: str = "internal-sftp", port: int | None = None) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.upload_dir = root / "bank" / "upload"
        self.returns_dir = root / "bank" / "returns"
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self.returns_dir.mkdir(parents=True, exist_ok=True)
        self.host_key_path = root / "ssh_host_ed25519_key"
        self.client_key_path = root / "client_ed25519"
        for path in (self.host_key_path, self.client_key_path):
            if not path.exists():
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)], check=True)
        (root / "authorized_keys").write_text(self.client_key_path.with_suffix(".pub").read_text())
        self.port = port or free_port()
        self.user = os.environ.get("USER") or "root"
        if subsystem == "vanishing":
            # Each SFTP session writes into its own private tmpfs over the upload folder: the server
            # accepts every write, and the file is gone for anyone else (the bank) once it closes.
            wrapper = root / "vanishing-sftp-server"
            wrapper.write_text(
                "#!/bin/sh\n"
                f"exec unshare --mount sh -c 'mount -t tmpfs tmpfs {self.upload_dir} && exec {SFTP_SERVER}'\n"
            )
            wrapper.chmod(0o755)
            subsystem = str(wrapper)
        self.config = root / "sshd_config"
        self.config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key_path}",
                    f"PidFile {root / 'sshd.pid'}",
                    f"AuthorizedKeysFile {root / 'authorized_keys'}",
                    "StrictModes no",
                    "UsePAM no",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "PermitRootLogin prohibit-password",
                    f"AllowUsers {self.user}",
                    f"Subsystem sftp {subsystem}",
                    "MaxStartups 50",
                    "MaxSessions 20",
                    "LogLevel ERROR",
                    "",
                ]
            )
        )
        self.process: subprocess.Popen | None = None

    @property
    def host_key_line(self) -> str:
        return " ".join(self.host_key_path.with_suffix(".pub").read_text().split()[:2])

    @property
    def client_private_key(self) -> str:
        return self.client_key_path.read_text()

    def start(self) -> None:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.config)], stderr=(self.root / "sshd.log").open("ab")
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited: {(self.root / 'sshd.log').read_text()}")
            time.sleep(0.05)
        raise RuntimeError("sshd did not start")

    def session_pids(self) -> list[int]:
        if self.process is None:
            return []
        output = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        ).stdout
        return [int(pid) for pid in output.split()]

    def kill_sessions(self) -> None:
        for pid in self.session_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop the listener and every open session (the server goes away)."""
        if self.process is None:
            return
        sessions = self.session_pids()
        self.process.terminate()
        self.process.wait(timeout=10)
        for pid in sessions:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process = None
        close_all_pools()


@contextlib.contextmanager
def running_sshd(root: Path, **options: object) -> Iterator[SshServer]:
    server = SshServer(root, **options)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    with running_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@dataclass
class BankKeyMaterial:
    """Both sides' keys: ours (signing) and the bank's (it signs return files), plus the shared file key."""

    reference: str
    file_key: bytes
    our_signing_key: ed25519.Ed25519PrivateKey
    bank_signing_key: ed25519.Ed25519PrivateKey
    sftp_private_key: str

    def environment(self) -> dict[str, str]:
        def pem_private(key: ed25519.Ed25519PrivateKey) -> str:
            return key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()

        bank_public = (
            self.bank_signing_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        name = bank_secrets.bank_secret_name
        return {
            name(self.reference, bank_secrets.FILE_KEY): base64.b64encode(self.file_key).decode(),
            name(self.reference, bank_secrets.SIGNING_KEY): pem_private(self.our_signing_key),
            name(self.reference, bank_secrets.BANK_PUBLIC_KEY): bank_public,
            name(self.reference, bank_secrets.SFTP_KEY): self.sftp_private_key,
        }


@pytest.fixture
def bank_keys(sshd: SshServer, monkeypatch: pytest.MonkeyPatch) -> BankKeyMaterial:
    material = BankKeyMaterial(
        reference="TESTBANK",
        file_key=os.urandom(32),
        our_signing_key=ed25519.Ed25519PrivateKey.generate(),
        bank_signing_key=ed25519.Ed25519PrivateKey.generate(),
        sftp_private_key=sshd.client_private_key,
    )
    for key, value in material.environment().items():
        monkeypatch.setenv(key, value)
    bank_secrets.secrets.clear()
    yield material
    bank_secrets.secrets.clear()


@pytest.fixture(autouse=True)
def _fresh_breakers_and_pools() -> Iterator[None]:
    yield
    close_all_pools()
    for code in ("822", "812", "999"):
        CircuitBreaker(code).reset()


class BankSimulator:
    """The bank's side of the SFTP exchange: reads our sealed ACHP01, answers with a sealed ACHR01."""

    def __init__(self, server: SshServer, keys: BankKeyMaterial) -> None:
        self.server = server
        self.keys = keys

    def submissions(self) -> list[Path]:
        return sorted(path for path in self.server.upload_dir.iterdir() if not path.name.startswith((".", "ACHP02")))

    def open_submission(self, path: Path) -> codec.AchFile:
        plain = crypto.open_envelope(
            envelope=path.read_bytes(),
            file_name=path.name,
            file_key=self.keys.file_key,
            sender_public_key=self.keys.our_signing_key.public_key(),
        )
        parsed = codec.parse_file(plain)
        assert parsed.errors == [], parsed.errors
        return parsed.file

    def answer(self, path: Path, *, returned: dict[int, str], processing_date: datetime.date) -> Path:
        """Write the ACHR01 for one submission into the returns folder, returning the items' sequences given."""
        submission = self.open_submission(path)
        submitted_on = codec.parse_roc_date(f"{submission.header['tdate']:08d}")
        plain = codec.build_returns(
            submission=submission,
            processing_date=processing_date,
            previous_business_day=submitted_on,
            returned=returned,
        )
        name = f"ACHR01_{submission.header['sorg']:07d}_{codec.roc_date(processing_date)}_{path.stem[-6:]}.enc"
        return self._publish(name=name, plain=plain)

    def _publish(self, *, name: str, plain: bytes) -> Path:
        """Seal a file as the bank does (its signing key, our shared file key) into the returns folder."""
        sealed = crypto.seal(
            plain=plain,
            file_name=name,
            file_key=self.keys.file_key,
            signing_key=self.keys.bank_signing_key,
            algorithm="ed25519",
        )
        target = self.server.returns_dir / name
        target.write_bytes(sealed)
        return target

    def mandate_requests(self) -> list[Path]:
        return sorted(path for path in self.server.upload_dir.iterdir() if path.name.startswith("ACHP02"))

    def answer_mandates(self, path: Path, *, replies: dict[int, str]) -> Path:
        """Write the bank's ACHP02 reply to one mandate file: each record's reply code by sequence ("0" if unnamed)."""
        request = self.open_submission(path)
        assert request.kind == codec.ACHP02
        for detail in request.details:
            detail["type"] = "R"
            detail["reply"] = replies.get(detail["seq"], "0")
        return self._publish(name=f"ACHP02R_{path.stem.removeprefix('ACHP02_')}.enc", plain=codec.write_file(request))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # The personas' passwords are hashed on every test; PBKDF2's cost buys nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def business_day_today(db) -> None:
    """Today counts as a business day, so tests dated today behave the same on a weekend or a holiday."""
    from django.utils import timezone

    from banking.models import BusinessDayOverride

    BusinessDayOverride.objects.update_or_create(
        date=timezone.localdate(), defaults={"is_business_day": True, "reason": "test: today is a business day"}
    )


@pytest.fixture
def bank(bank_keys: BankKeyMaterial, business_day_today: None) -> Bank:
    """The test bank (中國信託, code 822), its keys in the environment and today a business day."""
    return make_bank()
