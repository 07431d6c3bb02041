"""SMS throughput: 10,000 messages through real Celery workers to a fake Mitake.

The fake answers after 200 ms and rate-limits (HTTP 429) one send in 50. Messages are offered
at a steady rate (default 25/s, under the provider's configured 30/s bucket), each to its own
number, so a duplicate shows up as a number that received two SMS. Redis is a private
redis-server on a free port (broker, limits, circuit); PostgreSQL is `DATABASE_URL`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luckygas_sms_bench \\
        .venv/bin/python bench/sms_throughput.py --count 10000 --rate 25

Prints messages/s, p95 enqueue-to-accepted latency and the duplicate count.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--rate", type=float, default=25.0, help="messages offered per second")
    parser.add_argument("--provider-rate", type=int, default=30, help="Mitake bucket, segments per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--producers", type=int, default=2, help="processes enqueueing messages")
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
        }
    )
    for name in ("SMS_EVERY8D_UID", "SMS_TWILIO_ACCOUNT_SID"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    from sms import services
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
            f"at {args.rate}/s to a fake Mitake ({args.latency * 1000:.0f} ms, 429 every {args.rate_limit_every})"
        )
        started = time.monotonic()

        def offer(offset: int) -> None:
            # Several producer processes, as web and worker processes would be; each keeps its share of the pace.
            # A forked child must not reuse the parent's broker connections.
            app._pool = None
            app.amqp._producer_pool = None
            for number in range(offset, args.count, args.producers):
                pause = started + number / args.rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                services.message_enqueue(
                    idempotency_key=f"bench:{number}",
                    phone=f"09{10000000 + number:08d}",
                    body=f"LuckyGas bench {number}",
                )
            connections.close_all()

        connections.close_all()
        context = multiprocessing.get_context("fork")
        producers = [context.Process(target=offer, args=(offset,)) for offset in range(args.producers)]
        for producer in producers:
            producer.start()
        for producer in producers:
            producer.join()
        enqueue_seconds = time.monotonic() - started
        last_report = 0.0
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            done = Message.objects.filter(status=MessageStatus.ACCEPTED).count()
            if done >= args.count:
                break
            if time.monotonic() - last_report > 15:
                print(f"  {done}/{args.count} accepted")
                last_report = time.monotonic()
            services.outbox_reconcile()
            time.sleep(1)
        total_seconds = time.monotonic() - started
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
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        mitake_process.terminate()
        mitake_process.wait()
        redis_process.terminate()
        redis_process.wait()
        shutil.rmtree(redis_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
