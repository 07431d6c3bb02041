"""Work a test runs on other threads: errors come back to the test, and a thread that never ends fails it.

A plain `thread.join(timeout)` returns quietly when the thread is still running: the test then
passes on whatever it had, and the stuck thread, unless it is a daemon, holds the interpreter at
exit until CI gives up on the whole run. These threads are daemons, and waiting for them checks.
"""

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection


class Worker:
    """`target(*args)` on a daemon thread of its own, closing that thread's database connection after."""

    def __init__(self, target: Callable[..., Any], *args: Any, name: str | None = None) -> None:
        self.target = target
        self.args = args
        self.value: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name or target.__name__, daemon=True)

    def _run(self) -> None:
        try:
            self.value = self.target(*self.args)
        except BaseException as error:  # handed to the test's thread by result()
            self.error = error
        finally:
            connection.close()

    def start(self) -> "Worker":
        self.thread.start()
        return self

    def wait(self, timeout: float) -> "Worker":
        """Wait until the thread ends; fail the test, naming it, if it is still running after `timeout` s."""
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError(f"thread {self.thread.name!r} still running after {timeout:g} s")
        return self

    def result(self, timeout: float) -> Any:
        """What the target returned, or its exception raised here."""
        self.wait(timeout)
        if self.error is not None:
            raise self.error
        return self.value


def run_in_thread(target: Callable[..., Any], *args: Any, timeout: float, name: str | None = None) -> Any:
    """Run `target(*args)` on another thread and wait for it (for code that refuses Playwright's loop)."""
    return Worker(target, *args, name=name).start().result(timeout)


def start_all(workers: Iterable[Worker]) -> list[Worker]:
    started = list(workers)
    for worker in started:
        worker.start()
    return started


def wait_all(workers: Iterable[Worker], timeout: float) -> None:
    """Wait for every worker within one shared `timeout`; fail naming those still running."""
    workers = list(workers)
    deadline = time.monotonic() + timeout
    for worker in workers:
        worker.thread.join(max(0.0, deadline - time.monotonic()))
    running = [worker.thread.name for worker in workers if worker.thread.is_alive()]
    if running:
        raise AssertionError(f"threads {running} still running after {timeout:g} s")
