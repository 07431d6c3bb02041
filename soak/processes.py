"""The production process shape on loopback, each piece restartable by the fault scheduler.

The web command comes from `WEB_COMMANDS` only (HTTP through WSGI, as deployed). Everything runs on
a private PostgreSQL cluster (initdb + pg_ctl in a temp folder) and a private redis-server, so
restarting them never touches the machine's.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# PostgreSQL refuses to run as root: as root, run its binaries as the system's postgres user.
AS_PG_USER = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
SECRET = "soak-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"

# One place for the web's shape (deploy/docker-entrypoint.sh `web` and `websocket`): gunicorn with threaded
# WSGI workers for HTTP, and gunicorn with uvicorn workers serving the ASGI application for /ws/ only.
WEB_COMMANDS = {
    "http": [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:luckygas.gunicorn_conf",
        "luckygas.wsgi:application",
    ],
    "websocket": [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:luckygas.gunicorn_conf",
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "luckygas.asgi:application",
    ],
}
# Queues as deploy/base/workers.yaml runs them: one worker Deployment per group.
WORKER_QUEUES = ["default,exports", "sms", "banking"]


def _wait(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: S110 (not up yet)
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up in {timeout} s")


class Postgres:
    def __init__(self, base: Path) -> None:
        self.data = base / "pgdata"
        self.port = free_port()
        self.log = base / "postgres.log"
        if AS_PG_USER:
            shutil.chown(base, user="postgres")
        subprocess.run(
            [
                *AS_PG_USER,
                PG_BIN / "initdb",
                "-D",
                self.data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
                "fsync = on\nmax_connections = 200\nshared_buffers = 64MB\n"
            )
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/luckygas"

    def start(self) -> None:
        subprocess.run(
            [*AS_PG_USER, PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start"],
            check=True,
            capture_output=True,
        )

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            [*AS_PG_USER, PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"],
            check=False,
            capture_output=True,
        )

    def restart(self) -> None:
        self.stop("fast")
        self.start()

    def pids(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
        return [postmaster, *map(int, children)]

    def pause(self, seconds: float) -> None:
        """SIGSTOP the postmaster and its backends: the database hangs, connections stay open."""
        pids = self.pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)

    def create_database(self) -> None:
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as connection:
            connection.execute("CREATE DATABASE luckygas")


class Redis:
    def __init__(self, base: Path) -> None:
        self.port = free_port()
        self.dir = base
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        _wait(
            lambda: subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).returncode == 0,
            timeout=20,
            what="redis",
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def restart(self, *, flush: bool = False) -> None:
        if flush:
            subprocess.run(["redis-cli", "-p", str(self.port), "flushall"], check=True, capture_output=True)
        self.stop()
        self.start()


class Supervised:
    """A process restarted when it exits, as Kubernetes restarts a container."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.env, self.log = name, command, env, log
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def ensure_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.restarts += 1
            self.start()

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Stack:
    """Private PostgreSQL + Redis, migrated and seeded, then web, workers and beat."""

    def __init__(self, *, web_workers: int = 2) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="luckygas-soak-"))
        (self.base / "prometheus").mkdir()
        self.postgres = Postgres(self.base)
        self.redis = Redis(self.base)
        self.web_port = free_port()
        self.ws_port = free_port()
        self.web_workers = web_workers
        self.processes: dict[str, Supervised] = {}
        self.extra_env: dict[str, str] = {}  # what the day's other parts add (the SMS providers' addresses)
        self.sms = None  # soak.sms.Providers once started
        self.bank = None  # soak.banking.Bank once started
        # Per process, on top of env(): what production gives one Deployment only (the SFTP key, banking worker).
        self.process_env: dict[str, dict[str, str]] = {}
        self.fault_window = 20.0  # seconds a provider stays down or cut off

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    def env(self) -> dict[str, str]:
        return {
            **{key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": SECRET,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_POOL_MAX_SIZE": "8",
            "PORT": str(self.web_port),
            "GUNICORN_HOST": "127.0.0.1",
            "GUNICORN_WORKERS": str(self.web_workers),
            "GUNICORN_LOG_LEVEL": "warning",
            "PROMETHEUS_MULTIPROC_DIR": str(self.base / "prometheus"),
            **self.extra_env,
        }

    def start_data(self) -> None:
        self.postgres.start()
        self.postgres.create_database()
        self.redis.start()
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=self.env(), check=True)

    def start_services(self) -> None:
        env = self.env()
        (self.base / "prometheus").mkdir(exist_ok=True)
        self.processes["web"] = Supervised("web", WEB_COMMANDS["http"], env, self.base / "web.log")
        self.processes["websocket"] = Supervised(
            "websocket",
            WEB_COMMANDS["websocket"],
            {**env, "PORT": str(self.ws_port), "GUNICORN_WORKERS": "1"},
            self.base / "websocket.log",
        )
        self.processes["ticker"] = Supervised(
            "ticker",
            [sys.executable, "manage.py", "run_dashboard_ticker"],
            {**env, "DASHBOARD_TICK_SECONDS": "2"},
            self.base / "ticker.log",
        )
        for queues in WORKER_QUEUES:
            name = f"worker-{queues.split(',')[0]}"
            command = [
                sys.executable,
                "-m",
                "celery",
                "--quiet",
                "-A",
                "luckygas",
                "worker",
                "-Q",
                queues,
                "-c",
                "2",
                "-l",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"{name}@%h",
            ]
            self.processes[name] = Supervised(name, command, env, self.base / f"{name}.log")
        self.processes["beat"] = Supervised(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "--quiet",
                "-A",
                "luckygas",
                "beat",
                "--scheduler",
                "luckygas.celery_probes:HeartbeatDatabaseScheduler",
                "-l",
                "WARNING",
            ],
            env,
            self.base / "beat.log",
        )
        for name, process in self.processes.items():
            process.env = {**process.env, **self.process_env.get(name, {})}
            process.start()
        _wait(lambda: httpx.get(f"{self.web_url}/healthz", timeout=2).status_code == 200, timeout=120, what="web")

    def web_worker_pids(self) -> list[int]:
        master = self.processes["web"].process
        if master is None:
            return []
        return [
            int(pid)
            for pid in subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
        ]

    def supervise(self) -> None:
        for process in self.processes.values():
            process.ensure_running()

    def stop(self, *, keep: bool = False) -> None:
        for process in self.processes.values():
            process.stop()
        if self.sms is not None:
            self.sms.stop()
        if self.bank is not None:
            self.bank.stop()
        self.redis.stop()
        self.postgres.stop("fast")
        if not keep:
            shutil.rmtree(self.base, ignore_errors=True)
