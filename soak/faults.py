"""The fault schedule: each kind at least `repeat` times, spread over the run with jitter."""

import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from soak.processes import Stack


@dataclass
class Fault:
    kind: str
    at: float  # seconds after the start
    started: float = 0.0
    ended: float = 0.0
    detail: str = ""


def kill_web_worker(stack: Stack) -> str:
    pids = stack.web_worker_pids()
    if not pids:
        return "no web worker to kill"
    pid = random.choice(pids)
    os.kill(pid, signal.SIGKILL)  # gunicorn's master starts a new one, as in the pod
    return f"kill -9 gunicorn worker {pid}"


def kill_celery_worker(stack: Stack) -> str:
    name = random.choice([name for name in stack.processes if name.startswith("worker-")])
    stack.processes[name].kill9()
    return f"kill -9 {name}"


def kill_beat(stack: Stack) -> str:
    stack.processes["beat"].kill9()
    return "kill -9 beat"


def restart_redis(stack: Stack) -> str:
    stack.redis.restart()
    return "redis restarted"


def flush_redis(stack: Stack) -> str:
    stack.redis.restart(flush=True)
    return "redis flushed and restarted"


def restart_postgres(stack: Stack) -> str:
    stack.postgres.restart()
    return "postgres fast shutdown + start"


def pause_postgres(stack: Stack) -> str:
    stack.postgres.pause(20)
    return "postgres SIGSTOPped 20 s"


def sms_provider_down(stack: Stack) -> str:
    stack.sms.set_mode("mitake", "down")
    time.sleep(stack.fault_window)
    stack.sms.set_mode("mitake", "ok")
    return f"Mitake answered 503 for {stack.fault_window:.0f} s"


def sms_network_cut(stack: Stack) -> str:
    stack.sms.set_mode("mitake", "cut")
    time.sleep(stack.fault_window)
    stack.sms.set_mode("mitake", "ok")
    return f"network to Mitake cut for {stack.fault_window:.0f} s (connections never answered)"


def bank_sftp_refused(stack: Stack) -> str:
    return stack.bank.refuse(stack.fault_window)


ACTIONS: dict[str, Callable[[Stack], str]] = {
    "kill_web": kill_web_worker,
    "kill_worker": kill_celery_worker,
    "kill_beat": kill_beat,
    "restart_redis": restart_redis,
    "flush_redis": flush_redis,
    "restart_postgres": restart_postgres,
    "pause_postgres": pause_postgres,
    "sms_provider_down": sms_provider_down,
    "sms_network_cut": sms_network_cut,
    "bank_sftp_refused": bank_sftp_refused,
}
ONCE = {"flush_redis", "pause_postgres"}  # the issue: Redis flushed once, PostgreSQL paused once


def schedule(duration: float, *, repeat: int = 2, settle: float = 15.0, seed: int | None = None) -> list[Fault]:
    """Faults between `settle` s after the start and `settle` s before the end, evenly spaced and jittered."""
    rng = random.Random(seed)
    kinds = [kind for kind in ACTIONS for _ in range(1 if kind in ONCE else repeat)]
    rng.shuffle(kinds)
    span = max(1.0, duration - 2 * settle)
    step = span / len(kinds)
    return [Fault(kind, settle + index * step + rng.uniform(0, step * 0.5)) for index, kind in enumerate(kinds)]


def run(stack: Stack, faults: list[Fault], started: float, stop: Callable[[], bool]) -> None:
    """Inject each fault at its time; between faults keep the supervised processes running."""
    for fault in faults:
        while time.time() - started < fault.at:
            if stop():
                return
            stack.supervise()
            time.sleep(0.5)
        fault.started = time.time()
        try:
            fault.detail = ACTIONS[fault.kind](stack)
        except Exception as error:  # the harness reports it rather than stopping the day
            fault.detail = f"fault injection failed: {error!r}"
        fault.ended = max(time.time(), fault.started + 1)
        print(f"[soak] {fault.at:6.0f}s {fault.kind}: {fault.detail}", flush=True)
    while not stop():
        stack.supervise()
        time.sleep(0.5)
