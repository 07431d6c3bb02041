"""SFTP transport against a real OpenSSH sshd: verified delivery, pinned keys, retries, breaker, no duplicates."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from banking.transport import (
    BankClient,
    CircuitBreaker,
    CircuitOpenError,
    DeliveryVerificationError,
    Endpoint,
    HostKeyMismatchError,
    TransportError,
    load_private_key,
)
from tests.banking.bank_side import SshServer, running_sshd
from tests.helpers import ManualClock
from tests.threads import Worker, start_all

pytestmark = pytest.mark.django_db


def endpoint_for(server: SshServer, *, code: str = "822", host_key: str | None = None) -> Endpoint:
    return Endpoint(
        bank_code=code,
        host="127.0.0.1",
        port=server.port,
        username=server.user,
        host_key=host_key or server.host_key_line,
        private_key=load_private_key(server.client_private_key),
    )


def client_for(server: SshServer, **options: object) -> BankClient:
    options.setdefault("backoff_base", 0.05)
    options.setdefault("breaker", CircuitBreaker("822", cooldown=1.0))
    return BankClient(endpoint_for(server), **options)  # type: ignore[arg-type]


def test_upload_is_renamed_verified_and_listed(sshd: SshServer) -> None:
    # given
    data = os.urandom(300_000)
    stages: list[str] = []
    client = client_for(sshd, on_stage=stages.append)
    # when
    result = client.deliver(data=data, folder=str(sshd.upload_dir), name="ACHP01_test_upload.enc")
    # then
    stored = sshd.upload_dir / "ACHP01_test_upload.enc"
    assert stored.read_bytes() == data
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == 300_000
    assert result.already_present is False
    assert stages == ["uploaded", "renamed", "verified"]
    assert not (sshd.upload_dir / ".ACHP01_test_upload.enc.part").exists()
    assert "ACHP01_test_upload.enc" in client.list_folder(str(sshd.upload_dir))


def test_delivering_the_same_file_again_uploads_nothing(sshd: SshServer) -> None:
    data = b"same file" * 1000
    client = client_for(sshd)
    client.deliver(data=data, folder=str(sshd.upload_dir), name="ACHP01_twice.enc")
    inode = (sshd.upload_dir / "ACHP01_twice.enc").stat().st_ino
    stages: list[str] = []
    again = client_for(sshd, on_stage=stages.append).deliver(
        data=data, folder=str(sshd.upload_dir), name="ACHP01_twice.enc"
    )
    assert again.already_present is True
    assert stages == []
    assert (sshd.upload_dir / "ACHP01_twice.enc").stat().st_ino == inode


def test_a_different_file_under_a_delivered_name_is_refused(sshd: SshServer) -> None:
    client = client_for(sshd)
    client.deliver(data=b"first", folder=str(sshd.upload_dir), name="ACHP01_clash.enc")
    with pytest.raises(DeliveryVerificationError, match="already exists with other content"):
        client.deliver(data=b"second", folder=str(sshd.upload_dir), name="ACHP01_clash.enc")
    assert (sshd.upload_dir / "ACHP01_clash.enc").read_bytes() == b"first"


def test_a_wrong_host_key_is_refused_and_nothing_is_uploaded(sshd: SshServer) -> None:
    impostor = f"ssh-ed25519 {_other_public_key(sshd.root)}"
    client = BankClient(
        endpoint_for(sshd, host_key=impostor), backoff_base=0.01, breaker=CircuitBreaker("822", cooldown=1.0)
    )
    with pytest.raises(HostKeyMismatchError, match="not the pinned key"):
        client.deliver(data=b"secret", folder=str(sshd.upload_dir), name="ACHP01_impostor.enc")
    assert not (sshd.upload_dir / "ACHP01_impostor.enc").exists()
    assert not (sshd.upload_dir / ".ACHP01_impostor.enc.part").exists()


def _other_public_key(root: Path) -> str:
    import subprocess

    path = root / "other_host_key"
    if not path.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().split()[1]


def test_server_back_during_the_retries_gets_the_file(tmp_path: Path) -> None:
    with running_sshd(tmp_path / "sshd") as server:
        server.stop()
        backoffs: list[float] = []

        def back_during_the_first_backoff(seconds: float) -> None:
            backoffs.append(seconds)
            if server.process is None:
                server.start()

        client = client_for(server, max_attempts=6, backoff_base=0.2, sleep=back_during_the_first_backoff)
        result = client.deliver(data=b"retry me" * 100, folder=str(server.upload_dir), name="ACHP01_retry.enc")
        assert result.attempts == 2
        assert backoffs == [0.2]
        assert (server.upload_dir / "ACHP01_retry.enc").read_bytes() == b"retry me" * 100
        assert client.breaker.state() == "closed"


def test_breaker_opens_after_three_failures_and_recovers_after_the_cooldown(tmp_path: Path) -> None:
    with running_sshd(tmp_path / "sshd") as server:
        clock = ManualClock()
        breaker = CircuitBreaker("822", cooldown=60.0, clock=clock)
        client = client_for(server, max_attempts=3, breaker=breaker, sleep=lambda seconds: None)
        server.stop()
        # when: three failed attempts
        with pytest.raises(TransportError, match="gave up after 3 attempts"):
            client.deliver(data=b"x", folder=str(server.upload_dir), name="ACHP01_breaker.enc")
        # then: open, and calls are refused at once even though the server is back
        assert breaker.state() == "open"
        server.start()
        with pytest.raises(CircuitOpenError):
            client.deliver(data=b"x", folder=str(server.upload_dir), name="ACHP01_breaker.enc")
        assert not (server.upload_dir / "ACHP01_breaker.enc").exists()
        # a second worker shares the state through Redis
        assert CircuitBreaker("822", cooldown=60.0, clock=clock).state() == "open"
        # still open a moment before the cooldown ends
        clock.advance(59.9)
        assert breaker.state() == "open"
        # after the cooldown one trial call goes through and closes the breaker
        clock.advance(0.1)
        assert breaker.state() == "half_open"
        client.deliver(data=b"x", folder=str(server.upload_dir), name="ACHP01_breaker.enc")
        assert breaker.state() == "closed"
        assert (server.upload_dir / "ACHP01_breaker.enc").read_bytes() == b"x"


def test_a_server_that_accepts_the_write_but_keeps_no_file_is_caught(tmp_path: Path) -> None:
    with running_sshd(tmp_path / "sshd", subsystem="vanishing") as server:
        client = client_for(server)
        with pytest.raises(DeliveryVerificationError, match="the file is not there"):
            client.deliver(data=b"lost" * 500, folder=str(server.upload_dir), name="ACHP01_vanish.enc")
        assert list(server.upload_dir.iterdir()) == []


def test_no_duplicate_upload_after_a_lost_acknowledgement(tmp_path: Path) -> None:
    with running_sshd(tmp_path / "sshd") as server:
        stages: list[str] = []

        def on_stage(stage: str) -> None:
            stages.append(stage)
            if stage == "renamed" and stages.count("renamed") == 1:
                # The file is on the server, then the connection drops before the client hears back.
                server.stop()

        def back_during_the_backoff(seconds: float) -> None:
            if server.process is None:
                server.start()

        client = client_for(server, max_attempts=5, backoff_base=0.5, on_stage=on_stage, sleep=back_during_the_backoff)
        result = client.deliver(data=b"once" * 1000, folder=str(server.upload_dir), name="ACHP01_lostack.enc")
        assert result.already_present is True
        assert stages.count("uploaded") == 1
        assert "found_after_lost_acknowledgement" in stages
        assert [path.name for path in server.upload_dir.iterdir()] == ["ACHP01_lostack.enc"]


def test_at_most_five_sessions_per_bank_each_borrower_with_its_own(sshd: SshServer) -> None:
    from banking.transport import MAX_SESSIONS, pool_for

    pool = pool_for(endpoint_for(sshd))
    lock = threading.Lock()
    active: list[int] = []
    peak = 0
    seen_sessions: set[int] = set()
    shared: list[int] = []

    all_sessions_busy = threading.Event()

    def borrower() -> None:
        nonlocal peak
        with pool.session() as session:
            with lock:
                if id(session) in active:
                    shared.append(id(session))
                active.append(id(session))
                peak = max(peak, len(active))
                seen_sessions.add(id(session))
                if len(active) == MAX_SESSIONS:
                    all_sessions_busy.set()
            session.sftp.listdir(str(sshd.upload_dir))
            # Hold the session until every one of them is lent out, so the others must wait for one.
            all_sessions_busy.wait(timeout=30)
            with lock:
                active.remove(id(session))

    borrowers = start_all(Worker(borrower, name=f"borrower {index}") for index in range(12))
    for worker in borrowers:
        worker.result(timeout=60)
    assert shared == []  # nobody ever borrowed a session another borrower held
    assert peak == MAX_SESSIONS
    assert len(seen_sessions) <= MAX_SESSIONS  # idle sessions are reused, never more than five opened


def test_after_the_cooldown_only_one_worker_probes_and_a_failed_probe_reopens_for_another_cooldown(caplog) -> None:
    clock = ManualClock()
    worker, other_worker = (CircuitBreaker("812", cooldown=60.0, clock=clock) for _ in range(2))
    with caplog.at_level("WARNING", logger="banking.transport"):
        for _ in range(3):
            worker.record_failure()
    assert [record.getMessage() for record in caplog.records] == ["bank 812: circuit breaker opened after 3 failures"]
    clock.advance(60.0)
    # when: both workers try at once after the cooldown
    worker.before_call()
    with pytest.raises(CircuitOpenError, match="bank 812: circuit open"):
        other_worker.before_call()
    # then: the probe fails, the circuit opens again and the cooldown starts over
    with caplog.at_level("WARNING", logger="banking.transport"):
        worker.record_failure()
    assert caplog.records[-1].getMessage() == "bank 812: circuit breaker opened after 4 failures"
    clock.advance(59.9)
    assert other_worker.state() == "open"
    with pytest.raises(CircuitOpenError):
        other_worker.before_call()
    clock.advance(0.1)
    other_worker.before_call()
    other_worker.record_success()
    assert (worker.state(), worker.failures()) == ("closed", 0)


def test_without_redis_the_breaker_lives_in_the_process(settings) -> None:
    from banking.transport.breaker import local_breaker
    from luckygas.redis import redis_client

    shared_redis = redis_client(settings.REDIS_URL)
    settings.REDIS_URL = ""  # the embedded `make run` default
    clock = ManualClock()
    breaker = CircuitBreaker("999", cooldown=60.0, clock=clock)
    for _ in range(3):
        breaker.record_failure()
    assert CircuitBreaker("999", cooldown=60.0, clock=clock).state() == "open"
    assert local_breaker.failures(breaker.key) == 3
    assert shared_redis.exists(breaker.key) == 0
    clock.advance(60.0)
    breaker.before_call()
    breaker.record_success()
    assert (breaker.state(), local_breaker.failures(breaker.key)) == ("closed", 0)
