"""The bank's side of the SFTP exchange: a private OpenSSH sshd, both sides' keys, a bank simulator.

Shared by the banking tests (tests/banking/conftest.py) and the soak harness (soak/banking.py), whose
own process has no Django settings: only the simulator and `BankKeyMaterial.environment` import the
banking app, when called (in a process where Django is configured).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.servers import free_port

if TYPE_CHECKING:
    from banking import codec

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
        # This process's pooled sessions to the stopped server are dead: drop them (none in the soak harness).
        from banking.transport import close_all_pools

        close_all_pools()


@contextlib.contextmanager
def running_sshd(root: Path, **options: object) -> Iterator[SshServer]:
    server = SshServer(root, **options)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class BankKeyMaterial:
    """Both sides' keys: ours (signing) and the bank's (it signs return files), plus the shared file key."""

    reference: str
    file_key: bytes
    our_signing_key: ed25519.Ed25519PrivateKey
    bank_signing_key: ed25519.Ed25519PrivateKey
    sftp_private_key: str

    @classmethod
    def generate(cls, *, reference: str, sftp_private_key: str) -> BankKeyMaterial:
        """Fresh keys for both sides, as a bank and its customer exchange them when the service is set up."""
        return cls(
            reference=reference,
            file_key=os.urandom(32),
            our_signing_key=ed25519.Ed25519PrivateKey.generate(),
            bank_signing_key=ed25519.Ed25519PrivateKey.generate(),
            sftp_private_key=sftp_private_key,
        )

    def save(self, path: Path) -> None:
        """Keep the material in a private file (0600), for a bank simulator running in another process."""

        def raw_private(key: ed25519.Ed25519PrivateKey) -> str:
            return base64.b64encode(
                key.private_bytes(
                    serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
                )
            ).decode()

        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump(
                {
                    "reference": self.reference,
                    "file_key": base64.b64encode(self.file_key).decode(),
                    "our_signing_key": raw_private(self.our_signing_key),
                    "bank_signing_key": raw_private(self.bank_signing_key),
                    "sftp_private_key": self.sftp_private_key,
                },
                handle,
            )

    @classmethod
    def load(cls, path: Path) -> BankKeyMaterial:
        data = json.loads(path.read_text())

        def private(text: str) -> ed25519.Ed25519PrivateKey:
            return ed25519.Ed25519PrivateKey.from_private_bytes(base64.b64decode(text))

        return cls(
            reference=data["reference"],
            file_key=base64.b64decode(data["file_key"]),
            our_signing_key=private(data["our_signing_key"]),
            bank_signing_key=private(data["bank_signing_key"]),
            sftp_private_key=data["sftp_private_key"],
        )

    def environment(self) -> dict[str, str]:
        """The secrets by the names the app looks them up (`LUCKYGAS_<REFERENCE>_<PURPOSE>`)."""
        from banking import secrets as bank_secrets

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


class BankSimulator:
    """The bank's side of the SFTP exchange: reads our sealed ACHP01, answers with a sealed ACHR01."""

    def __init__(self, server: SshServer, keys: BankKeyMaterial) -> None:
        self.server = server
        self.keys = keys

    def submissions(self) -> list[Path]:
        return sorted(path for path in self.server.upload_dir.iterdir() if not path.name.startswith((".", "ACHP02")))

    def open_submission(self, path: Path) -> codec.AchFile:
        from banking import codec, crypto

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
        from banking import codec

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
        """Seal a file as the bank does (its signing key, our shared file key) into the returns folder.

        Written under a dot name and renamed, so a fetch never reads half a file."""
        from banking import crypto

        sealed = crypto.seal(
            plain=plain,
            file_name=name,
            file_key=self.keys.file_key,
            signing_key=self.keys.bank_signing_key,
            algorithm="ed25519",
        )
        target = self.server.returns_dir / name
        partial = self.server.returns_dir / f".{name}.part"
        partial.write_bytes(sealed)
        partial.rename(target)
        return target

    def mandate_requests(self) -> list[Path]:
        return sorted(path for path in self.server.upload_dir.iterdir() if path.name.startswith("ACHP02"))

    def answer_mandates(self, path: Path, *, replies: dict[int, str]) -> Path:
        """Write the bank's ACHP02 reply to one mandate file: each record's reply code by sequence ("0" if unnamed)."""
        from banking import codec

        request = self.open_submission(path)
        assert request.kind == codec.ACHP02
        for detail in request.details:
            detail["type"] = "R"
            detail["reply"] = replies.get(detail["seq"], "0")
        return self._publish(name=f"ACHP02R_{path.stem.removeprefix('ACHP02_')}.enc", plain=codec.write_file(request))
