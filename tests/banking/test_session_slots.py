"""The bank's 5-session cap holds across worker processes (Redis leases), and a crashed worker's slots expire."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from banking.semaphore import RedisSemaphore
from banking.transport import MAX_SESSIONS, SessionPool, TransportError, session_slots
from tests.banking.bank_side import SshServer
from tests.banking.test_transport import endpoint_for
from tests.servers import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def slots(settings) -> RedisSemaphore:
    settings.BANKING_SFTP_LEASE_SECONDS = 1.5
    semaphore = session_slots("822", MAX_SESSIONS)
    assert isinstance(semaphore, RedisSemaphore), "these tests need REDIS_URL"
    semaphore.client.delete(semaphore.key)
    yield semaphore
    semaphore.client.delete(semaphore.key)


def start_holders(server: SshServer, out: Path, *, threads: int, hold: float) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.banking.session_holder",
            str(server.port),
            server.host_key_line,
            str(server.client_key_path),
            str(server.upload_dir),
            str(threads),
            str(hold),
            str(out),
        ],
        cwd=ROOT,
        env={**os.environ, "BANKING_SFTP_LEASE_SECONDS": "1.5", "REDIS_URL": settings.REDIS_URL},
    )


def lines(out: Path, kind: str) -> list[list[str]]:
    if not out.exists():
        return []
    return [line.split() for line in out.read_text().splitlines() if line.split()[1] == kind]


def test_three_worker_processes_never_hold_more_than_five_sessions_at_once(
    sshd: SshServer, slots: RedisSemaphore, tmp_path: Path
) -> None:
    # given: three worker processes, four borrowers each, every borrower holding its session 0.6 s
    out = tmp_path / "spans.txt"
    workers = [start_holders(sshd, out, threads=4, hold=0.6) for _ in range(3)]
    # when: they all run, while Redis is sampled
    held_in_redis = []
    while any(worker.poll() is None for worker in workers):
        held_in_redis.append(slots.holders())
        time.sleep(0.02)
    # then
    assert [worker.returncode for worker in workers] == [0, 0, 0]
    spans = [(float(start), float(end)) for _pid, _kind, start, end in lines(out, "span")]
    assert len(spans) == 12
    assert len({pid for pid, *_rest in lines(out, "span")}) == 3
    edges = sorted([(start, 1) for start, _end in spans] + [(end, -1) for _start, end in spans])
    open_now = peak = 0
    for _moment, change in edges:
        open_now += change
        peak = max(peak, open_now)
    assert peak == MAX_SESSIONS  # the cap was reached, and never passed
    assert max(held_in_redis) <= MAX_SESSIONS
    # the sixth and later borrowers waited for a slot: 12 borrowers × 0.6 s at 5 at a time
    assert max(end for _start, end in spans) - min(start for start, _end in spans) >= 1.2
    assert slots.holders() == 0  # every slot was given back


def test_a_sixth_session_waits_and_a_crashed_holders_slots_expire(
    sshd: SshServer, slots: RedisSemaphore, tmp_path: Path
) -> None:
    # given: a worker process holding all five sessions (its leases renewed while it lives)
    out = tmp_path / "held.txt"
    worker = start_holders(sshd, out, threads=5, hold=-1)
    try:
        deadline = time.monotonic() + 60
        while len(lines(out, "held")) < MAX_SESSIONS:
            assert worker.poll() is None, "the holder process died"
            assert time.monotonic() < deadline, "the holder never got its five sessions"
            time.sleep(0.05)
        pool = SessionPool(endpoint_for(sshd), slots=slots)
        # when: a sixth borrower waits longer than a lease lasts
        pool.wait_seconds = 2.5
        waited = time.monotonic()
        with pytest.raises(TransportError, match="all 5 sessions busy"), pool.session():
            pass
        # then: it waited the whole time and got nothing, because the live holder kept renewing
        assert time.monotonic() - waited >= 2.5
        assert slots.holders() == MAX_SESSIONS
        # when: the holder crashes (no chance to give anything back)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        pool.wait_seconds = 10
        waited = time.monotonic()
        got_session = threading.Event()
        with pool.session() as session:
            session.sftp.listdir(str(sshd.upload_dir))
            got_session.set()
        # then: its leases ran out within a lease (1.5 s) and the borrower went through
        assert got_session.is_set()
        assert time.monotonic() - waited < 1.5 + 1.0
        pool.close()
        assert slots.holders() == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
