"""Run the image's commands (deploy/docker-entrypoint.sh) as the container would, locally."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.deploy.rendering import DEPLOY, ROOT

ENTRYPOINT = DEPLOY / "docker-entrypoint.sh"


def container_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a pod: secrets as files, /tmp scratch space, venv on PATH."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    secrets = tmp_path / "secrets"
    secrets.mkdir(exist_ok=True)
    for name in ("DATABASE_URL", "REDIS_URL"):
        if name in extra:
            (secrets / name).write_text(extra.pop(name) + "\n", encoding="utf-8")
            env[f"{name}_FILE"] = str(secrets / name)
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        PYTHONDONTWRITEBYTECODE="1",
        **extra,
    )
    return env


@contextlib.contextmanager
def started(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [str(ENTRYPOINT), *args], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def wait_for(condition: Callable[[], bool], *, timeout: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text(encoding='utf-8')}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out:\n{log.read_text(encoding='utf-8')}")
        time.sleep(0.2)


def json_lines(log: Path) -> list[dict]:
    """Every line of the log parsed as JSON (a non-JSON line fails the test that reads it)."""
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise AssertionError(f"not a JSON log line: {line!r}") from error
    return records


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="luckygas-pod-"))
