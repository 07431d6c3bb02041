"""The test process ends once the run has reported, and says what held it if something tries not to.

Python joins every non-daemon thread (thread-pool workers included) before it exits. A thread a
test left waiting on a lock or a socket that never answers would hold the whole run, after its
summary, until CI kills it with no word of where (seen once). So:

- a non-daemon thread still running (and not an idle pool worker) `LEAK_GRACE` s after the run
  was leaked by a test: its name and every thread's stack are printed;
- otherwise interpreter shutdown (atexit handlers of libraries included) gets `EXIT_GRACE` s,
  after which the same is printed.

Either way the process then ends with the run's own status: the tests decided it, and the stacks
say what to mend. Tests' own threads go through `tests/threads.py`, which fails a test whose
thread outlives its timeout.
"""

import faulthandler
import os
import sys
import threading
import time

import pytest

LEAK_GRACE = 15.0
EXIT_GRACE = 120.0

_status = {"exit": 0}


def _is_idle_pool_worker(frame) -> bool:
    """A thread-pool worker waiting for work ends by itself when the interpreter exits."""
    return frame.f_code.co_name == "_worker" and frame.f_code.co_filename.endswith(os.path.join("futures", "thread.py"))


def stuck_threads(grace: float) -> list[threading.Thread]:
    """Non-daemon threads that would keep the interpreter from exiting, after `grace` seconds to end."""
    deadline = time.monotonic() + grace
    while True:
        frames = sys._current_frames()
        stuck = [
            thread
            for thread in threading.enumerate()
            if thread is not threading.main_thread()
            and not thread.daemon
            and thread.ident in frames
            and not _is_idle_pool_worker(frames[thread.ident])
        ]
        if not stuck or time.monotonic() > deadline:
            return stuck
        time.sleep(0.2)


def _end_now(message: str, status: int) -> None:
    sys.stdout.flush()
    sys.stderr.write(message)
    sys.stderr.flush()
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    sys.stderr.flush()
    os._exit(status)


def _watch_exit(grace: float) -> None:
    time.sleep(grace)
    _end_now(
        f"\nThe test process was still running {grace:g} s after the run ended (interpreter shutdown is "
        f"blocked); every thread's stack follows, and the process ends with the run's status "
        f"{_status['exit']}.\n",
        _status["exit"],
    )


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _status["exit"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    stuck = stuck_threads(grace=LEAK_GRACE)
    if stuck:
        _end_now(
            f"\nThread(s) {[thread.name for thread in stuck]} still running {LEAK_GRACE:g} s after the run "
            f"ended: a test leaked them, and they would hold interpreter exit. Every thread's stack follows; "
            f"the process ends with the run's status {_status['exit']}.\n",
            _status["exit"],
        )
    threading.Thread(target=_watch_exit, args=(EXIT_GRACE,), name="exit watchdog", daemon=True).start()
