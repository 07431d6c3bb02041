"""Benchmark of the driver sync push through the production web shape, against the same work in raw SQL.

Seeds a day of DRIVERS × STOPS route stops twice in a dedicated database (one set for the API,
one for the raw baseline). First `ab -n 3000 -c 20 /healthz` against three gunicorn shapes on the
same settings: uvicorn workers (ASGI: `luckygas websocket`, and every request before issue #15),
threaded WSGI workers (gthread), and sync WSGI workers (`luckygas web`, the production shape).
Then pushes every driver's day (a delivery per stop, in batches of 10) through the production
shape from CONCURRENCY devices at once (closed loop: each device sends its next batch the
moment the previous answer arrives), and PACED devices (default 20) that each push one batch
of 10 every --pace seconds, the way phones push in the field. Last, on the same database in the
same run, a plain psycopg script performs exactly the writes and locks of a push (device row lock,
stop and order locks, status history, order and stop updates, actions `ON CONFLICT DO NOTHING`,
cash collected, device update, change feed) for the same number of actions in batches of 10 with
the same concurrency: the limit the API can approach. Prints every figure with its goal.

    .venv/bin/python bench/sync_push.py [--drivers 200] [--stops 40] [--concurrency 20] [--workers 2]

Needs PostgreSQL (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432), Redis
(REDIS_URL) and `ab` (Debian's apache2-utils). The bench database (default luckygas_sync_bench) is
dropped and recreated.
"""

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
# offline_sync.services.changes.CHANGE_LOG_LOCK_KEY (this script imports no Django at module level)
CHANGE_LOG_LOCK_KEY = 0x4C47_5359_4E43
SECRET = "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database(server_url: str, name: str) -> None:
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def django_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "WARNING",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"),
        # Under ASGI, Django runs each request's synchronous code on a thread of its own, so a
        # persistent connection (CONN_MAX_AGE > 0) stays with a thread that is gone and is only
        # closed by the garbage collector: at 20 concurrent devices that exhausted PostgreSQL's
        # max_connections ("sorry, too many clients already", half the batches answered 503).
        # The project's settings answer that with psycopg's pool (as the deployment does).
        "DATABASE_POOL_MAX_SIZE": os.environ.get("DATABASE_POOL_MAX_SIZE", "10"),
    }


def seed(
    database_url: str, drivers: int, stops: int, extra_drivers: int = 0, extra_stops: int = 0, raw_drivers: int = 0
) -> list[dict]:
    """Seed in a child process (Django configured for the bench database); returns the devices."""
    code = f"""
import json, sys
sys.path.insert(0, {str(ROOT)!r})
import django
django.setup()
from bench.sync_push import seed_in_django
print(json.dumps(
    seed_in_django({drivers}, {stops})
    + seed_in_django({extra_drivers}, {extra_stops}, "paced")
    + seed_in_django({raw_drivers}, {stops}, "raw")
))
"""
    env = {**django_env(database_url), "DJANGO_SETTINGS_MODULE": "luckygas.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def seed_in_django(driver_count: int, stop_count: int, prefix: str = "bench") -> list[dict]:
    """Bulk-create a started day: routes out for delivery, one device (with a token) per driver."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from luckygas.delivery import models as delivery
    from offline_sync.models import DriverDevice
    from offline_sync.services import device_token_hash

    today = timezone.localdate()
    if not driver_count:
        return []
    # phone numbers and customer codes apart from the other sets
    digit = {"bench": "3", "paced": "4", "raw": "5"}.get(prefix, "6")
    product, _created = delivery.CylinderProduct.objects.get_or_create(
        code="LPG-20", defaults={"name": "20 公斤桶裝瓦斯", "size_kg": 20, "price": 950}
    )
    password = make_password("bench-password")  # hashed once, shared: seeding must not take minutes
    users = User.objects.bulk_create(
        User(username=f"{prefix}-driver-{index}", password=password) for index in range(driver_count)
    )
    Group.objects.get(name="driver").user_set.add(*users)
    drivers = delivery.Driver.objects.bulk_create(
        delivery.Driver(user=user, name=f"{prefix}司機{index}", phone=f"+88693{digit}{index:06d}")
        for index, user in enumerate(users)
    )
    customers = delivery.Customer.objects.bulk_create(
        delivery.Customer(
            code=f"{prefix[0].upper()}{index:06d}",
            short_name=f"客戶{index}",
            phone=f"+88691{digit}{index:06d}",
            city="臺北市",
            district="大安區",
            address=f"忠孝東路{index}號",
        )
        for index in range(driver_count * stop_count)
    )
    now = timezone.now()
    orders = delivery.Order.objects.bulk_create(
        delivery.Order(
            customer=customer,
            status=delivery.OrderStatus.OUT_FOR_DELIVERY,
            delivery_date=today,
            payment_method="cash",
            total_amount=950,
            status_changed_at=now,
        )
        for customer in customers
    )
    delivery.OrderLine.objects.bulk_create(
        delivery.OrderLine(order=order, product=product, quantity=1, unit_price=950) for order in orders
    )
    routes = delivery.Route.objects.bulk_create(
        delivery.Route(driver=driver, date=today, status=delivery.RouteStatus.IN_PROGRESS) for driver in drivers
    )
    stops = delivery.RouteStop.objects.bulk_create(
        delivery.RouteStop(route=routes[index // stop_count], order=order, sequence=index % stop_count + 1)
        for index, order in enumerate(orders)
    )
    tokens = [secrets.token_urlsafe(32) for _driver in drivers]
    DriverDevice.objects.bulk_create(
        DriverDevice(device_id=uuid.uuid4(), driver=driver, name=prefix, token_hash=device_token_hash(token))
        for driver, token in zip(drivers, tokens, strict=True)
    )
    return [
        {"token": token, "stops": [stop.pk for stop in stops[index * stop_count : (index + 1) * stop_count]]}
        for index, token in enumerate(tokens)
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def push_day(
    client: httpx.AsyncClient, device: dict, latencies: list[float], counts: dict, pace: float = 0.0
) -> None:
    """Push the device's day in batches of 10: back to back, or one batch every `pace` seconds."""
    headers = {"Authorization": f"Device {device['token']}"}
    now = datetime.datetime.now(datetime.UTC)
    actions = [
        {
            "id": str(uuid.uuid4()),
            "seq": seq,
            "type": "complete",
            "stop": stop_id,
            "base_version": 1,
            "occurred_at": (now + datetime.timedelta(seconds=seq)).isoformat(),
            "payload": {"cash_collected": 950, "empties_collected": 1},
        }
        for seq, stop_id in enumerate(device["stops"], start=1)
    ]
    next_send = time.perf_counter()
    for start in range(0, len(actions), 10):
        batch = actions[start : start + 10]
        if pace:
            await asyncio.sleep(max(0.0, next_send - time.perf_counter()))
            next_send += pace
        began = time.perf_counter()
        response = await client.post(
            "/api/v1/driver/sync",
            json={"sent_at": datetime.datetime.now(datetime.UTC).isoformat(), "actions": batch},
            headers=headers,
        )
        latencies.append(time.perf_counter() - began)
        if response.status_code != 200:
            counts[f"http_{response.status_code}"] = counts.get(f"http_{response.status_code}", 0) + len(batch)
            print(f"  batch refused: {response.status_code} {response.text[:300]}", flush=True)
            return
        for result in response.json()["results"]:
            counts[result["result"]] = counts.get(result["result"], 0) + 1


async def run_api(base_url: str, devices: list[dict], concurrency: int) -> tuple[float, list[float], dict]:
    latencies: list[float] = []
    counts: dict[str, int] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for device in devices:
        queue.put_nowait(device)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                await push_day(client, queue.get_nowait(), latencies, counts)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return elapsed, latencies, counts


async def run_paced(base_url: str, devices: list[dict], pace: float) -> tuple[float, list[float], dict]:
    """Every device pushes a batch every `pace` seconds (starts spread over one pace interval)."""
    latencies: list[float] = []
    counts: dict[str, int] = {}
    limits = httpx.Limits(max_connections=len(devices), max_keepalive_connections=len(devices))
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:

        async def device_loop(index: int, device: dict) -> None:
            await asyncio.sleep(pace * index / len(devices))
            await push_day(client, device, latencies, counts, pace=pace)

        began = time.perf_counter()
        await asyncio.gather(*(device_loop(index, device) for index, device in enumerate(devices)))
        elapsed = time.perf_counter() - began
    return elapsed, latencies, counts


def latency_line(latencies: list[float]) -> str:
    return (
        f"p50 {percentile(latencies, 0.50) * 1000:.0f} ms · p95 {percentile(latencies, 0.95) * 1000:.0f} ms · "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms · mean {statistics.mean(latencies) * 1000:.0f} ms"
    )


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


RAW_PUSH_SQL = {
    "device": "SELECT id, next_seq FROM offline_sync_driverdevice WHERE id = %s FOR UPDATE",
    "known": "SELECT id FROM offline_sync_syncaction WHERE id = ANY(%s)",
    "stops": (
        "SELECT s.id, s.version, o.id, o.status FROM delivery_routestop s "
        "JOIN delivery_order o ON o.id = s.order_id WHERE s.id = ANY(%s) ORDER BY s.id FOR UPDATE OF s, o"
    ),
    "history": (
        "INSERT INTO delivery_orderstatuschange (order_id, from_status, to_status, changed_by_id, changed_at, reason) "
        "SELECT unnest(%s::bigint[]), 'out_for_delivery', 'delivered', %s, now(), ''"
    ),
    "orders": (
        "UPDATE delivery_order SET status = 'delivered', status_changed_at = now(), delivered_at = now(), "
        "updated_at = now() WHERE id = ANY(%s)"
    ),
    "stop_updates": (
        "UPDATE delivery_routestop SET status = 'delivered', completed_at = now(), cash_collected = 950, "
        "empties_collected = 1, version = version + 1, updated_at = now() WHERE id = ANY(%s)"
    ),
    "actions": (
        "INSERT INTO offline_sync_syncaction (id, device_id, seq, action_type, stop_id, base_version, body, body_hash, "
        "occurred_at, received_at, clock_offset_seconds, effective_at, clock_flags, result, response) "
        "SELECT a.id, %s, a.seq, 'complete', a.stop, 1, a.body, md5(a.body::text), now(), now(), 0, now(), "
        "'[]'::jsonb, 'applied', a.body "
        "FROM unnest(%s::uuid[], %s::bigint[], %s::bigint[], %s::jsonb[]) AS a(id, seq, stop, body) "
        "ON CONFLICT DO NOTHING"
    ),
    "cash": (
        "INSERT INTO offline_sync_cashcollection (stop_id, action_id, amount, collected_at, status) "
        "SELECT unnest(%s::bigint[]), unnest(%s::uuid[]), 950, now(), 'pending'"
    ),
    "device_update": "UPDATE offline_sync_driverdevice SET next_seq = %s, last_sync_at = now() WHERE id = %s",
    "change_log_lock": "SELECT pg_advisory_xact_lock(%s)",
    "change_log": (
        "INSERT INTO offline_sync_changelogentry (driver_id, route_id, stop_id, kind, data, created_at) "
        "SELECT %s, %s, unnest(%s::bigint[]), 'stop_changed', '{}'::jsonb, now()"
    ),
}


async def raw_batches(database_url: str) -> list[dict]:
    """The "raw" devices' days, in batches of 10 stops: what the raw baseline pushes."""
    async with await psycopg.AsyncConnection.connect(database_url) as connection:
        cursor = await connection.execute(
            "SELECT d.id, d.driver_id, r.id, array_agg(s.id ORDER BY s.sequence), "
            "array_agg(s.order_id ORDER BY s.sequence) "
            "FROM offline_sync_driverdevice d JOIN delivery_route r ON r.driver_id = d.driver_id "
            "JOIN delivery_routestop s ON s.route_id = r.id WHERE d.name = 'raw' GROUP BY d.id, d.driver_id, r.id "
            "ORDER BY d.id"
        )
        days = await cursor.fetchall()
    batches = []
    for device_id, driver_id, route_id, stop_ids, order_ids in days:
        for start in range(0, len(stop_ids), 10):
            batches.append(
                {
                    "device": device_id,
                    "driver": driver_id,
                    "route": route_id,
                    "first_seq": start + 1,
                    "stops": stop_ids[start : start + 10],
                    "orders": order_ids[start : start + 10],
                }
            )
    return batches


RAW_ALONE_DEVICES = 10  # extra raw devices pushed one batch at a time: the floor of a lone (paced) batch


async def run_raw(database_url: str, concurrency: int) -> tuple[int, float, list[float], list[float]]:
    """The same writes and locks as a push, from plain psycopg: the limit the API can approach.

    Per batch of 10 deliveries, in one transaction: lock the device row; look the action ids up;
    lock the stops and their orders (in id order); insert the status history; update the orders
    and the stops; insert the actions (`ON CONFLICT DO NOTHING`) and the cash collected; advance
    the device; append the change feed under its advisory lock. Devices are spread over
    `concurrency` connections, one device's batches in order, as the phones send them. First,
    RAW_ALONE_DEVICES devices' batches go one at a time on one connection: what a lone batch costs
    the database alone (the floor of the paced latency).
    Returns (actions of the concurrent phase, its seconds, its latencies, the lone latencies).
    """
    batches = await raw_batches(database_url)
    by_device: dict[int, list[dict]] = {}
    for batch in batches:
        by_device.setdefault(batch["device"], []).append(batch)
    alone = [by_device.pop(device) for device in list(by_device)[:RAW_ALONE_DEVICES]]
    queue: asyncio.Queue = asyncio.Queue()
    for device_batches in by_device.values():
        queue.put_nowait(device_batches)
    latencies: list[float] = []
    alone_latencies: list[float] = []

    async def push(connection: psycopg.AsyncConnection, batch: dict) -> None:
        ids = [uuid.uuid4() for _stop in batch["stops"]]
        seqs = list(range(batch["first_seq"], batch["first_seq"] + len(ids)))
        bodies = [
            json.dumps({"type": "complete", "stop": stop, "payload": {"cash_collected": 950, "empties_collected": 1}})
            for stop in batch["stops"]
        ]
        async with connection.transaction(), connection.cursor() as cursor:
            await cursor.execute(RAW_PUSH_SQL["device"], [batch["device"]])
            await cursor.execute(RAW_PUSH_SQL["known"], [ids])
            await cursor.execute(RAW_PUSH_SQL["stops"], [batch["stops"]])
            await cursor.execute(RAW_PUSH_SQL["history"], [batch["orders"], None])
            await cursor.execute(RAW_PUSH_SQL["orders"], [batch["orders"]])
            await cursor.execute(RAW_PUSH_SQL["stop_updates"], [batch["stops"]])
            await cursor.execute(RAW_PUSH_SQL["actions"], [batch["device"], ids, seqs, batch["stops"], bodies])
            await cursor.execute(RAW_PUSH_SQL["cash"], [batch["stops"], ids])
            await cursor.execute(RAW_PUSH_SQL["device_update"], [seqs[-1] + 1, batch["device"]])
            await cursor.execute(RAW_PUSH_SQL["change_log_lock"], [CHANGE_LOG_LOCK_KEY])
            await cursor.execute(RAW_PUSH_SQL["change_log"], [batch["driver"], batch["route"], batch["stops"]])

    async def worker() -> None:
        async with await psycopg.AsyncConnection.connect(database_url) as connection:
            while not queue.empty():
                for batch in queue.get_nowait():
                    began = time.perf_counter()
                    await push(connection, batch)
                    latencies.append(time.perf_counter() - began)

    async with await psycopg.AsyncConnection.connect(database_url) as connection:
        for device_batches in alone:
            for batch in device_batches:
                began = time.perf_counter()
                await push(connection, batch)
                alone_latencies.append(time.perf_counter() - began)
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    actions = sum(len(batch["stops"]) for device_batches in by_device.values() for batch in device_batches)
    return actions, time.perf_counter() - began, latencies, alone_latencies


SHAPES = {
    # production: deploy/docker-entrypoint.sh `web` (gunicorn's config: sync WSGI workers)
    "wsgi-sync": ["--config", "python:luckygas.gunicorn_conf", "luckygas.wsgi:application"],
    # the alternative measured against it: threaded WSGI workers (--threads)
    "wsgi-gthread": [
        "--config",
        "python:luckygas.gunicorn_conf",
        "--worker-class",
        "gthread",
        "luckygas.wsgi:application",
    ],
    # before issue #15, and still `luckygas websocket` for /ws/: uvicorn workers, ASGI
    "asgi-uvicorn": [
        "--config",
        "python:luckygas.gunicorn_conf",
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "luckygas.asgi:application",
    ],
}


@contextlib.contextmanager
def serving(shape: str, database_url: str, workers: int, threads: int) -> Iterator[str]:
    """gunicorn in the given shape on a free loopback port; yields its base URL."""
    port = free_port()
    log = tempfile.NamedTemporaryFile("w", prefix=f"sync_push_{shape}_", suffix=".log", delete=False)  # noqa: SIM115
    env = {
        **django_env(database_url),
        "GUNICORN_HOST": "127.0.0.1",
        "PORT": str(port),
        "GUNICORN_WORKERS": str(workers),
        # As deployed: one-request-at-a-time sync workers keep a persistent connection; threads
        # (gthread) and uvicorn's request threads share psycopg's pool.
        "DATABASE_POOL_MAX_SIZE": "0" if shape == "wsgi-sync" else "10",
        "DATABASE_CONN_MAX_AGE": "60" if shape == "wsgi-sync" else "0",
        "GUNICORN_LOG_LEVEL": "warning",
        # A loaded 2-core machine can starve a worker's heartbeat past the default.
        "GUNICORN_TIMEOUT": "120",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            *SHAPES[shape],
            *(["--threads", str(threads)] if shape == "wsgi-gthread" else []),
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn ({shape}) did not start; see {log.name}")
            time.sleep(0.3)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=60)


def ab_rate(base_url: str, requests: int, concurrency: int) -> float | None:
    """`ab -n N -c C /healthz` requests/s (Apache Bench, Debian's apache2-utils), None without ab."""
    if not shutil.which("ab"):
        return None
    result = subprocess.run(
        ["ab", "-q", "-n", str(requests), "-c", str(concurrency), f"{base_url}/healthz"],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"Requests per second:\s+([\d.]+)", result.stdout)
    failed = re.search(r"Failed requests:\s+(\d+)", result.stdout)
    if not match or (failed and int(failed.group(1))):
        print(f"  ab failed or had failures:\n{result.stdout[-800:]}{result.stderr[-400:]}", flush=True)
        return None
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drivers", type=int, default=200)
    parser.add_argument("--stops", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=20)
    # One worker per core: more processes than the machine's 2 cores only add context switches
    # and compete with PostgreSQL for the same CPUs.
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2 = cores)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (the alternative shape)")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="wsgi-sync", help="the shape pushes go through")
    parser.add_argument("--paced-devices", type=int, default=20, help="devices of the paced phase (default 20)")
    parser.add_argument("--paced-batches", type=int, default=6, help="batches each paced device pushes (default 6)")
    parser.add_argument("--pace", type=float, default=5.0, help="seconds between a paced device's batches (default 5)")
    parser.add_argument("--ab-requests", type=int, default=3000)
    parser.add_argument("--database", default="luckygas_sync_bench")
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    database_url = f"{server_url}/{args.database}"
    print(f"load average at start: {load_average()}", flush=True)
    print(f"seeding 2 × {args.drivers} drivers × {args.stops} stops (API and raw) into {args.database}…", flush=True)
    began = time.perf_counter()
    recreate_database(server_url, args.database)
    devices = seed(
        database_url,
        args.drivers,
        args.stops,
        args.paced_devices,
        args.paced_batches * 10,
        args.drivers + RAW_ALONE_DEVICES,
    )
    devices, paced_devices = devices[: args.drivers], devices[args.drivers : args.drivers + args.paced_devices]
    print(f"  seeded in {time.perf_counter() - began:.1f} s", flush=True)

    healthz: dict[str, float | None] = {}
    for shape in ("asgi-uvicorn", "wsgi-gthread", "wsgi-sync"):
        with serving(shape, database_url, args.workers, args.threads) as base_url:
            print(f"ab -n {args.ab_requests} -c {args.concurrency} /healthz through {shape}…", flush=True)
            healthz[shape] = ab_rate(base_url, args.ab_requests, args.concurrency)

    with serving(args.shape, database_url, args.workers, args.threads) as base_url:
        print(
            f"pushing through gunicorn ({args.shape}, {args.workers} workers) with {args.concurrency} devices…",
            flush=True,
        )
        elapsed, latencies, counts = asyncio.run(run_api(base_url, devices, args.concurrency))
        load_after_api = load_average()
        paced = None
        if paced_devices:
            print(f"paced: {len(paced_devices)} devices, one batch each every {args.pace:g} s…", flush=True)
            paced = asyncio.run(run_paced(base_url, paced_devices, args.pace))

    print(f"raw: the same writes and locks from plain psycopg, {args.concurrency} connections…", flush=True)
    raw_actions, raw_elapsed, raw_latencies, raw_alone = asyncio.run(run_raw(database_url, args.concurrency))
    actions = sum(counts.values())
    api_rate = counts.get("applied", 0) / elapsed
    raw_rate = raw_actions / raw_elapsed
    print()
    print(f"actions pushed:           {actions:,} ({counts})")
    print(
        f"API applied actions/s:    {api_rate:,.0f}  ({elapsed:.1f} s, {len(latencies):,} batches of ≤ 10, "
        f"{args.shape})"
    )
    print(f"batch latency:            {latency_line(latencies)}  (closed loop, {args.concurrency} devices)")
    print(f"raw same-work actions/s:  {raw_rate:,.0f}  ({raw_actions:,} actions, batches of 10, {raw_elapsed:.1f} s)")
    print(f"raw batch latency:        {latency_line(raw_latencies)}")
    print(
        f"raw lone batch latency:   {latency_line(raw_alone)}  "
        "(one batch at a time: the database's share of a paced batch)"
    )
    print(f"API / raw:                {api_rate / raw_rate:.2f} (goal ≥ 0.33; and ≥ 1,000 actions/s)")
    if paced is not None:
        _elapsed, paced_latencies, paced_counts = paced
        print(
            f"paced batch latency:      {latency_line(paced_latencies)}  ({len(paced_devices)} devices, "
            f"1 batch / {args.pace:g} s each, {len(paced_latencies)} batches, {paced_counts}; "
            "goal p50 ≤ 15 ms, p95 ≤ 30 ms)"
        )
    for shape, rate in healthz.items():
        figure = f"{rate:,.0f} requests/s" if rate else "not measured (install apache2-utils for ab)"
        print(f"ab /healthz {shape + ':':<14}{figure}")
    production, before = healthz.get("wsgi-sync"), healthz.get("asgi-uvicorn")
    if production and before:
        print(f"production web / uvicorn: {production / before:.2f}× (goal ≥ 3×)")
    print(f"workers: {args.workers} · load average after the API run: {load_after_api} · at the end: {load_average()}")


if __name__ == "__main__":
    main()
