"""`luckygas worker` and `luckygas beat` with their Kubernetes probes, on real Redis and PostgreSQL."""

import signal
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from tests import servers
from tests.deploy.processes import container_env, json_lines, started, wait_for
from tests.deploy.rendering import ROOT

pytestmark = pytest.mark.slow


def _probe(check: str, probe_dir, *extra: str) -> int:
    env = {"CELERY_PROBE_DIR": str(probe_dir), "PATH": ""}
    command = [sys.executable, "-m", "luckygas.celery_probes", check, *extra]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=30, check=False).returncode


def test_worker_probes_follow_the_worker_and_sigterm_is_a_warm_shutdown(db, tmp_path):
    # given a worker on a queue of its own (nothing else consumes it)
    probe_dir = tmp_path / "probes"
    env = container_env(
        tmp_path,
        DATABASE_URL=servers.test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_QUEUES=f"probe-test-{uuid.uuid4().hex[:8]}",
        CELERY_CONCURRENCY="1",
        CELERY_PROBE_DIR=str(probe_dir),
        # Celery warns on stderr when run as root, as this test machine does (the pod runs as 10001).
        PYTHONWARNINGS="ignore::UserWarning",
    )
    log = tmp_path / "worker.log"
    assert _probe("ready", probe_dir) == 1
    assert _probe("alive", probe_dir) == 1
    with started(["worker"], env, log) as process:
        # when it has connected to the broker
        wait_for(lambda: _probe("ready", probe_dir) == 0, timeout=90, process=process, log=log)
        # then it is ready and its event loop beats
        assert _probe("alive", probe_dir) == 0
        assert _probe("alive", probe_dir, "--max-age", "0") == 1  # stale beats are not alive
        # and SIGTERM stops it cleanly, no longer ready
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    assert _probe("ready", probe_dir) == 1
    text = log.read_text(encoding="utf-8")
    # Celery writes this one notice straight to stderr; every log record is a JSON line.
    assert "worker: Warm shutdown (MainProcess)" in text
    log.write_text(text.replace("worker: Warm shutdown (MainProcess)\n", ""), encoding="utf-8")
    records = json_lines(log)
    assert any(record["logger"].startswith("celery") for record in records)


def test_beat_probes_follow_the_database_scheduler(db, tmp_path):
    probe_dir = tmp_path / "probes"
    env = container_env(
        tmp_path,
        DATABASE_URL=servers.test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_PROBE_DIR=str(probe_dir),
        PYTHONWARNINGS="ignore::UserWarning",
    )
    log = tmp_path / "beat.log"
    with started(["beat"], env, log) as process:
        wait_for(lambda: _probe("ready", probe_dir, "--process", "beat") == 0, timeout=90, process=process, log=log)
        assert _probe("alive", probe_dir, "--process", "beat") == 0
        assert _probe("ready", probe_dir) == 1  # the worker's files are not beat's
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert all(record["level"] != "ERROR" for record in json_lines(log))
