"""Dashboard figures on the 100,000-customer / 1,000,000-order demo data.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/luckygas_dash_bench REDIS_URL=redis://127.0.0.1:6379/7 \
       .venv/bin/python bench/dashboard.py [--sockets 200] [--rounds 20]
The database must be seeded (`bench/seed.py`), migrated, and its rollups rebuilt
(`manage.py rebuild_dashboard_rollups`). Prints: cold and warm snapshot time per metric, a
100,000-row Excel export (time, peak memory), a 50-page PDF (time), and websocket fan-out to N
manager sockets next to raw Redis pub/sub to N subscribers.
"""

import argparse
import asyncio
import datetime
import itertools
import logging
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/luckygas_dash_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luckygas.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()
# WeasyPrint logs every layout step at INFO: the figures would drown in it.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)

from django.core.cache import cache  # noqa: E402

from dashboard.metrics import ADMIN, METRICS, Period, cache_key, default_period, snapshot_get  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def bench_snapshots(repeats: int) -> None:
    print("Panel snapshots (admin audience, default periods; median of", repeats, "runs)")
    for metric in METRICS.values():
        period = default_period(metric)
        colds, warms = [], []
        for _run in range(repeats):
            cache.delete(cache_key(metric, period, ADMIN))
            started = time.perf_counter()
            snapshot_get(metric, period, ADMIN)
            colds.append(time.perf_counter() - started)
            started = time.perf_counter()
            snapshot_get(metric, period, ADMIN)
            warms.append(time.perf_counter() - started)
        print(f"  {metric.name:10s} cold {ms(statistics.median(colds))}   warm {ms(statistics.median(warms))}")


def period_with_rows(target: int) -> tuple[Period, int]:
    from luckygas.delivery.models import Order

    end = datetime.date.today() - datetime.timedelta(days=3)  # noqa: DTZ011  (a past day; the exact day does not matter)
    start = end
    count = Order.objects.filter(delivery_date=end).count()
    while count < target:
        start -= datetime.timedelta(days=1)
        count += Order.objects.filter(delivery_date=start).count()
    return Period(start, end), count


def excel_child(start: str, end: str) -> None:
    """Run in a child process so its peak RSS is the export's own."""
    from dashboard.services import report_write_file

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "orders.xlsx"
        started = time.perf_counter()
        rows = report_write_file(
            report_name="orders",
            period=Period(datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)),
            audience=ADMIN,
            export_format="xlsx",
            path=path,
        )
        elapsed = time.perf_counter() - started
        size = path.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  Excel: {rows:,} rows in {elapsed:.1f} s, {size / 1e6:.1f} MB file; "
        f"peak RSS {peak:.0f} MB (process before export {baseline:.0f} MB)"
    )


def bench_excel() -> None:
    period, count = period_with_rows(100_000)
    print(f"Excel export of the orders report {period.start} – {period.end} ({count:,} rows)")
    subprocess.run(
        [sys.executable, __file__, "--excel-child", period.start.isoformat(), period.end.isoformat()],
        check=True,
        env=os.environ,
    )


ROW_MOMENT = re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}")


def render_orders_pdf(period: Period, rows: int, path: Path) -> tuple[int, list[int], float]:
    """Render the first `rows` orders of `period`; returns pages, order rows on each page, seconds."""
    from pypdf import PdfReader

    from dashboard.exports import REPORTS, Table, write_pdf

    tables = REPORTS["orders"].build(period, ADMIN)
    limited = [Table(table.title, table.columns, itertools.islice(table.rows, rows)) for table in tables]
    started = time.perf_counter()
    write_pdf(limited, path, title="Orders", period=period)
    elapsed = time.perf_counter() - started
    reader = PdfReader(path)
    # Each order row shows its creation time once (YYYY/MM/DD HH:MM); page 1's header shows one more.
    per_page = [len(ROW_MOMENT.findall(page.extract_text())) for page in reader.pages]
    per_page[0] -= 1
    return len(reader.pages), per_page, elapsed


def bench_pdf(pages: int) -> None:
    """A report of exactly `pages` A4 pages: a short calibration render measures rows per page
    (the table layout is fixed and one line per row, so every full page holds the same number)."""
    with tempfile.TemporaryDirectory() as directory:
        sample_period, _count = period_with_rows(400)
        _pages, per_page, _elapsed = render_orders_pdf(sample_period, 400, Path(directory) / "sample.pdf")
        first, full = per_page[0], per_page[1]
        rows = first + full * (pages - 2) + full // 2  # the last page half full
        period, _count = period_with_rows(rows)
        rendered, per_page, elapsed = render_orders_pdf(period, rows, Path(directory) / "orders.pdf")
    print(
        f"PDF: {rows:,} order rows ({first} on page 1, {full} per full page), {rendered} A4 pages in {elapsed:.1f} s"
        + ("" if rendered == pages else f"  (asked for {pages} pages)")
    )


async def fan_out(sockets: int, rounds: int) -> None:
    import redis.asyncio as aioredis
    import websockets
    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    from dashboard.live import group_name
    from tests.servers import free_port

    def manager_cookie() -> str:
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.auth.models import User

        user, _created = User.objects.get_or_create(username="bench-manager", defaults={"is_staff": True})
        user.groups.add(Group.objects.get(name="manager"))
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        return session.session_key

    cookie = await sync_to_async(manager_cookie)()
    port = free_port()
    env = {**os.environ, "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_SECURE_SSL_REDIRECT": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "luckygas.asgi:application", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        import httpx

        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.3)
        clients = []
        for _index in range(sockets):
            client = await websockets.connect(
                f"ws://127.0.0.1:{port}/ws/dashboard/",
                additional_headers={"Cookie": f"sessionid={cookie}"},
                origin=f"http://127.0.0.1:{port}",
                max_queue=None,
            )
            await client.recv()  # hello
            clients.append(client)
        layer = get_channel_layer()
        socket_latencies = []
        for round_number in range(rounds):
            message = {"type": "metric", "metric": "bench", "seq": round_number, "as_of": "", "data": {}}
            started = time.perf_counter()
            await layer.group_send(group_name("manager"), {"type": "metric.update", "message": message})
            await asyncio.gather(*(client.recv() for client in clients))
            socket_latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.2)
        for client in clients:
            await client.close()

        subscribers = []
        for _index in range(sockets):
            connection = aioredis.Redis.from_url(settings.REDIS_URL)
            pubsub = connection.pubsub()
            await pubsub.subscribe("bench:fanout")
            await pubsub.get_message(timeout=1)  # subscribe confirmation
            subscribers.append((connection, pubsub))
        publisher = aioredis.Redis.from_url(settings.REDIS_URL)

        async def receive(pubsub) -> None:
            while (await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)) is None:
                pass

        raw_latencies = []
        for round_number in range(rounds):
            started = time.perf_counter()
            waiting = [asyncio.ensure_future(receive(pubsub)) for _connection, pubsub in subscribers]
            await publisher.publish("bench:fanout", str(round_number))
            await asyncio.gather(*waiting)
            raw_latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.2)
        for connection, pubsub in subscribers:
            await pubsub.aclose()
            await connection.aclose()
        await publisher.aclose()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    def p(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]

    print(f"Fan-out to {sockets} sockets, {rounds} pushes (time until the LAST receiver has the message)")
    print(
        f"  dashboard websockets (channels-redis + uvicorn): p50 {ms(p(socket_latencies, 50))}  "
        f"p99 {ms(p(socket_latencies, 99))}"
    )
    print(
        f"  raw Redis pub/sub:                             p50 {ms(p(raw_latencies, 50))}  "
        f"p99 {ms(p(raw_latencies, 99))}"
    )
    print(f"  ratio p99 websockets / raw pub/sub: {p(socket_latencies, 99) / p(raw_latencies, 99):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pdf-pages", type=int, default=50)
    parser.add_argument("--only", choices=["snapshots", "excel", "pdf", "fanout"])
    parser.add_argument("--excel-child", nargs=2, metavar=("START", "END"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.excel_child:
        excel_child(*args.excel_child)
        return
    from luckygas.delivery.models import Order

    print(f"Database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}: {Order.objects.count():,} orders")
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if args.only in (None, "snapshots"):
        bench_snapshots(args.repeats)
    if args.only in (None, "excel"):
        bench_excel()
    if args.only in (None, "pdf"):
        bench_pdf(args.pdf_pages)
    if args.only in (None, "fanout"):
        asyncio.run(fan_out(args.sockets, args.rounds))
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
