"""Kubernetes probes for Celery, which serves no HTTP: files in /tmp that the processes touch.

Worker: `worker_ready` creates the ready file once connected to the broker and consuming; a
consumer bootstep touches the heartbeat file every few seconds from the worker's event loop, so
a stuck loop stops it. Beat: the scheduler touches both on every tick (at most 5 s apart with
the database scheduler). The probes are `python -m luckygas.celery_probes ready|alive
[--process beat]`; they import only the standard library, so each probe costs little.
"""

import argparse
import os
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

PROBE_DIRECTORY = Path(os.environ.get("CELERY_PROBE_DIR", "/tmp"))  # noqa: S108 (an emptyDir in the pod)
HEARTBEAT_SECONDS = 5.0
# Alive while the last beat is at most this old: several missed beats, never one slow one.
DEFAULT_MAX_AGE_SECONDS = 60.0


def ready_file(process: str) -> Path:
    return PROBE_DIRECTORY / f"celery-{process}-ready"


def heartbeat_file(process: str) -> Path:
    return PROBE_DIRECTORY / f"celery-{process}-heartbeat"


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def is_ready(process: str) -> bool:
    return ready_file(process).exists()


def is_alive(process: str, *, max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS) -> bool:
    try:
        age = time.time() - heartbeat_file(process).stat().st_mtime
    except FileNotFoundError:
        return False
    return age <= max_age_seconds


def install(app: Any) -> None:
    """Register the worker's heartbeat bootstep and ready/shutdown hooks on a Celery app."""
    from celery import bootsteps
    from celery.signals import worker_ready, worker_shutdown

    class HeartbeatStep(bootsteps.StartStopStep):
        def __init__(self, parent: Any, **kwargs: Any) -> None:
            super().__init__(parent, **kwargs)
            self.timer_entry = None

        def start(self, parent: Any) -> None:
            touch(heartbeat_file("worker"))
            self.timer_entry = parent.timer.call_repeatedly(HEARTBEAT_SECONDS, touch, (heartbeat_file("worker"),))

        def stop(self, parent: Any) -> None:
            if self.timer_entry is not None:
                self.timer_entry.cancel()
                self.timer_entry = None

    app.steps["consumer"].add(HeartbeatStep)

    @worker_ready.connect(weak=False)
    def _ready(**kwargs: Any) -> None:
        touch(ready_file("worker"))

    @worker_shutdown.connect(weak=False)
    def _shutdown(**kwargs: Any) -> None:
        ready_file("worker").unlink(missing_ok=True)


@cache
def _heartbeat_database_scheduler() -> type:
    from django_celery_beat.schedulers import DatabaseScheduler

    class HeartbeatDatabaseScheduler(DatabaseScheduler):
        """django-celery-beat's DatabaseScheduler that proves on every tick that it runs."""

        def tick(self, *args: Any, **kwargs: Any) -> float:
            interval = super().tick(*args, **kwargs)
            touch(heartbeat_file("beat"))
            touch(ready_file("beat"))
            return interval

    return HeartbeatDatabaseScheduler


def __getattr__(name: str) -> Any:
    # Resolved lazily: the probes import this module without Django or Celery.
    if name == "HeartbeatDatabaseScheduler":
        return _heartbeat_database_scheduler()
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Kubernetes probe for a Celery worker or beat.")
    parser.add_argument("check", choices=["ready", "alive"])
    parser.add_argument("--process", choices=["worker", "beat"], default="worker")
    parser.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE_SECONDS, help="seconds (alive only)")
    arguments = parser.parse_args(argv)
    if arguments.check == "ready":
        ok = is_ready(arguments.process)
    else:
        ok = is_alive(arguments.process, max_age_seconds=arguments.max_age)
    if not ok:
        sys.stderr.write(f"celery {arguments.process} is not {arguments.check}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
