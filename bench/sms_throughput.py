"""SMS throughput: 10,000 messages through real Celery workers to a fake Mitake.

The fake answers after 200 ms and rate-limits (HTTP 429) one send in 50. Messages are offered
at a steady rate (default 25/s, under the provider's configured 30/s bucket), each to its own
number, so a duplicate shows up as a number that received two SMS. Redis is a private
redis-server on a free port (broker, limits, circuit); PostgreSQL is `DATABASE_URL`.

Producers work as the business does: one event (a collection batch scheduling its direct debits,
a route leaving the depot) writes its `--batch` outbox rows in one transaction, and each row's
send task is published after that commit. Workers use Celery's thread pool: a send spends most
of its time waiting on the provider (200 ms) and PostgreSQL, so threads give the concurrency
without one process (and one PostgreSQL connection pool) per slot. `--workers` × `--threads`
stays under Mitake's ~15 concurrent connections per account, and every process keeps its
PostgreSQL connections (`CONN_MAX_AGE`), so the run holds about workers × threads + producers + 1
connections; it prints the most it saw.

    flock /tmp/luckygas-bench.lock env DATABASE_URL=postgres://postgres@127.0.0.1:5432/luckygas_sms \\
        .venv/bin/python bench/sms_throughput.py --count 10000 --rate 25

Prints messages/s, p95 enqueue-to-accepted latency, the duplicate count and the load average.
"""

import argparse
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def produce(offset: int, producers: int, count: int, batch: int, rate: float, started: float) -> None:
    """One producer process, as a web or worker process would be: it takes every n-th business
    event and fires it when the steady pace reaches its first message, writing the event's
    messages in one transaction (their send tasks go out after the commit)."""
    import django

    django.setup()
    from django.db import connections, transaction

    from sms import services

    batches = [range(first, min(first + batch, count)) for first in range(0, count, batch)]
    for numbers in batches[offset::producers]:
        pause = started + numbers[0] / rate - time.monotonic()  # CLOCK_MONOTONIC is system-wide
        if pause > 0:
            time.sleep(pause)
        with transaction.atomic():
            for number in numbers:
                services.message_enqueue(
                    idempotency_key=f"bench:{number}",
                    phone=f"09{10000000 + number:08d}",
                    body=f"LuckyGas bench {number}",
                )
    connections.close_all()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--rate", type=float, default=25.0, help="messages offered per second")
    parser.add_argument("--provider-rate", type=int, default=30, help="Mitake bucket, segments per second")
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
    parser.add_argument("--threads", type=int, default=7, help="threads per worker (Mitake allows ~15 connections)")
    parser.add_argument("--producers", type=int, default=2, help="processes enqueueing messages")
    parser.add_argument("--batch", type=int, default=50, help="messages one business event writes in one transaction")
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rate-limit-every", type=int, default=50)
    args = parser.parse_args()

    redis_port = free_port()
    redis_dir = tempfile.mkdtemp(prefix="sms-bench-redis-")
    redis_process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            redis_dir,
        ],
        stdout=subprocess.DEVNULL,
    )
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    from tests.sms import fakes

    # The fake provider runs in its own process, so it does not share a GIL with the producers.
    url_file = Path(redis_dir) / "mitake-url"
    mitake_process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tests.sms.fakes import serve_mitake_forever; "
            "serve_mitake_forever(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))",
            str(url_file),
            str(args.latency),
            str(args.rate_limit_every),
        ],
        cwd=ROOT,
    )
    while not url_file.exists() or not url_file.read_text():
        time.sleep(0.1)
    mitake_url = url_file.read_text()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "luckygas.settings",
            "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "0"),
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijkl"),
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            "REDIS_URL": redis_url,
            "SMS_REDIS_URL": redis_url,
            "SMS_BODY_KEYS": Fernet.generate_key().decode(),
            "SMS_MITAKE_BASE_URL": mitake_url,
            "SMS_MITAKE_USERNAME": fakes.MITAKE_USER,
            "SMS_MITAKE_PASSWORD": fakes.MITAKE_PASSWORD,
            "SMS_SYSTEM_LIMIT_PER_MINUTE": "1000000",
            "SMS_HTTP_TIMEOUT_SECONDS": "10",
            # Every thread keeps its connection: a fixed, small number of PostgreSQL clients.
            "DATABASE_CONN_MAX_AGE": "600",
        }
    )
    for name in ("SMS_EVERY8D_UID", "SMS_TWILIO_ACCOUNT_SID"):
        os.environ.pop(name, None)
    import django

    django.setup()
    print(f"load average at start: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    from sms import conf, services
    from sms.models import Attempt, AttemptStatus, Message, MessageStatus, Provider

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE sms_providerevent, sms_statuschange, sms_attempt, sms_limitbypass, sms_message CASCADE"
        )
    Provider.objects.update_or_create(
        name="mitake", defaults={"priority": 1, "is_enabled": True, "rate_per_second": args.provider_rate}
    )
    Provider.objects.exclude(name="mitake").update(is_enabled=False)

    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "luckygas",
                "worker",
                "-Q",
                "sms",
                "-P",
                "threads",
                "-c",
                str(args.threads),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "ERROR",
                "-n",
                f"bench-{index}@%h",
            ],
            cwd=ROOT,
            env=dict(os.environ),
        )
        for index in range(args.workers)
    ]
    try:
        from luckygas.celery import app

        deadline = time.monotonic() + 60
        while len(app.control.ping(timeout=1) or []) < args.workers and time.monotonic() < deadline:
            time.sleep(0.5)
        print(
            f"{args.workers} workers × {args.threads} threads ready; offering {args.count} messages "
            f"at {args.rate}/s in events of {args.batch} from {args.producers} producers to a fake Mitake "
            f"({args.latency * 1000:.0f} ms, 429 every {args.rate_limit_every}, bucket {args.provider_rate}/s)"
        )
        started = time.monotonic()
        # Spawned, not forked: a forked child would share this process's Redis sockets.
        context = multiprocessing.get_context("spawn")
        producers = [
            context.Process(target=produce, args=(offset, args.producers, args.count, args.batch, args.rate, started))
            for offset in range(args.producers)
        ]
        for producer in producers:
            producer.start()

        def database_clients() -> int:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                return int(cursor.fetchone()[0])

        enqueue_seconds = None
        most_clients = 0
        last_report = last_reconcile = time.monotonic()
        reconcile_every = conf.reconcile_interval_seconds()
        deadline = time.monotonic() + 1200
        while time.monotonic() < deadline:
            if enqueue_seconds is None and not any(producer.is_alive() for producer in producers):
                enqueue_seconds = time.monotonic() - started
            most_clients = max(most_clients, database_clients())
            done = Message.objects.filter(status=MessageStatus.ACCEPTED).count()
            if done >= args.count:
                break
            if time.monotonic() - last_report > 30:
                print(f"  {time.monotonic() - started:5.0f} s: {done}/{args.count} accepted")
                last_report = time.monotonic()
            if time.monotonic() - last_reconcile >= reconcile_every:
                # What beat runs in production, at its configured interval.
                services.outbox_reconcile()
                last_reconcile = time.monotonic()
            time.sleep(1)
        total_seconds = time.monotonic() - started
        for producer in producers:
            producer.join()
        enqueue_seconds = enqueue_seconds or total_seconds
        rows = list(Message.objects.filter(status=MessageStatus.ACCEPTED).values_list("created_at", "accepted_at"))
        latencies = sorted((accepted - created).total_seconds() for created, accepted in rows)
        p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
        import httpx

        stats = httpx.get(f"{mitake_url}/fake/stats").json()
        duplicates = stats["duplicates"]
        rate_limited = Attempt.objects.filter(status=AttemptStatus.REJECTED, error_code="temporary:http429").count()
        duplicate_replies = Attempt.objects.filter(is_duplicate_reply=True).count()
        print(f"accepted: {len(rows)}/{args.count} in {total_seconds:.1f} s (enqueueing took {enqueue_seconds:.1f} s)")
        print(f"throughput: {len(rows) / total_seconds:.1f} messages/s")
        print(
            f"enqueue-to-accepted latency: p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, "
            f"max {latencies[-1]:.2f} s"
        )
        print(f"HTTP 429 answers retried: {rate_limited}; Duplicate=Y replies: {duplicate_replies}")
        print(f"SMS at the fake handsets: {stats['handset']}")
        print(f"duplicates (a number that got the same message twice): {duplicates}")
        print(f"PostgreSQL clients of this database, most seen: {most_clients}")
        # The machine is shared: CPU per message says what the workers need whatever the load.
        worker_cpu = sum(cpu_seconds(worker.pid) for worker in workers)
        print(
            f"worker CPU: {worker_cpu:.0f} s, {worker_cpu / max(len(rows), 1) * 1000:.1f} ms per message "
            f"(one free core would carry {len(rows) / max(worker_cpu, 0.001):.0f} messages/s)"
        )
        print(f"load average at end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    finally:
        connections.close_all()
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        mitake_process.terminate()
        mitake_process.wait()
        redis_process.terminate()
        redis_process.wait()
        shutil.rmtree(redis_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
