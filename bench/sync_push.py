"""Benchmark of the driver sync push through the real HTTP stack, against a raw INSERT baseline.

Seeds a day of DRIVERS × STOPS route stops in a dedicated database, serves the project with
gunicorn + uvicorn workers on a free loopback port, and pushes every driver's day (a delivery
per stop, in batches of 10) from CONCURRENCY devices at once. Then, on the same database in
the same run, inserts the same number of rows with plain psycopg `INSERT … ON CONFLICT DO
NOTHING` in batches of 10 (one transaction per batch, same concurrency). Prints actions/s,
batch latency percentiles and the raw rows/s, and, as a ceiling for the ratio, the rate at which
the same server and client answer GET /healthz (nothing but HTTP and Django's request handling).

The closed-loop figures (every device sends its next batch the moment the previous answer
arrives) are the issue's goal. A second, clearly separate figure measures latency when PACED
devices (default 20) each push one batch of 10 deliveries every --pace seconds, the way phones
push in the field (open loop: a slow answer does not slow the next send down).

    .venv/bin/python bench/sync_push.py [--drivers 200] [--stops 40] [--concurrency 20] [--workers 2]

Needs PostgreSQL (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432) and Redis
(REDIS_URL). The bench database (default luckygas_sync_bench) is dropped and recreated.
"""

import argparse
import asyncio
import datetime
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
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


def seed(database_url: str, drivers: int, stops: int, extra_drivers: int = 0, extra_stops: int = 0) -> list[dict]:
    """Seed in a child process (Django configured for the bench database); returns the devices."""
    code = f"""
import json, sys
sys.path.insert(0, {str(ROOT)!r})
import django
django.setup()
from bench.sync_push import seed_in_django
print(json.dumps(seed_in_django({drivers}, {stops}) + seed_in_django({extra_drivers}, {extra_stops}, "paced")))
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
    digit = "3" if prefix == "bench" else "4"  # phone numbers and codes apart from the other set
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
        DriverDevice(device_id=uuid.uuid4(), driver=driver, name="bench", token_hash=device_token_hash(token))
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


async def run_http_floor(base_url: str, requests: int, concurrency: int) -> float:
    """Requests/s of GET /healthz (no database, no authentication) through the same server and client.

    What the HTTP stack and this client alone can serve on this machine: a push can never be
    answered faster, so ten times this rate bounds the actions/s any sync code could reach here.
    """
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    remaining = [requests]
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:

        async def worker() -> None:
            while remaining[0] > 0:
                remaining[0] -= 1
                response = await client.get("/healthz")
                response.raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return requests / (time.perf_counter() - began)


def latency_line(latencies: list[float]) -> str:
    return (
        f"p50 {percentile(latencies, 0.50) * 1000:.0f} ms · p95 {percentile(latencies, 0.95) * 1000:.0f} ms · "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms · mean {statistics.mean(latencies) * 1000:.0f} ms"
    )


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


async def run_raw(database_url: str, rows: int, concurrency: int) -> float:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as connection:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw_action (id uuid PRIMARY KEY, device int, seq int, body jsonb)"
        )
        await connection.execute("TRUNCATE bench_raw_action")
    batches = [
        [
            (uuid.uuid4(), start // 40, seq, json.dumps({"type": "complete", "seq": seq}))
            for seq in range(start, min(start + 10, rows))
        ]
        for start in range(0, rows, 10)
    ]
    queue: asyncio.Queue = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)

    async def worker() -> None:
        async with await psycopg.AsyncConnection.connect(database_url) as connection:
            while not queue.empty():
                batch = queue.get_nowait()
                async with connection.transaction(), connection.cursor() as cursor:
                    await cursor.executemany(
                        "INSERT INTO bench_raw_action (id, device, seq, body) VALUES (%s, %s, %s, %s) "
                        "ON CONFLICT DO NOTHING",
                        batch,
                    )

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drivers", type=int, default=200)
    parser.add_argument("--stops", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=20)
    # One worker per core: a uvicorn worker already serves concurrent requests (each request's
    # synchronous Django code runs on its own thread), so more processes than the machine's 2
    # cores only add context switches and compete with PostgreSQL for the same CPUs.
    parser.add_argument("--workers", type=int, default=2, help="gunicorn uvicorn workers (default 2 = cores)")
    parser.add_argument("--paced-devices", type=int, default=20, help="devices of the paced phase (default 20)")
    parser.add_argument("--paced-batches", type=int, default=6, help="batches each paced device pushes (default 6)")
    parser.add_argument("--pace", type=float, default=5.0, help="seconds between a paced device's batches (default 5)")
    parser.add_argument("--database", default="luckygas_sync_bench")
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    database_url = f"{server_url}/{args.database}"
    print(f"load average at start: {load_average()}", flush=True)
    print(f"seeding {args.drivers} drivers × {args.stops} stops into {args.database}…", flush=True)
    began = time.perf_counter()
    recreate_database(server_url, args.database)
    devices = seed(database_url, args.drivers, args.stops, args.paced_devices, args.paced_batches * 10)
    devices, paced_devices = devices[: args.drivers], devices[args.drivers :]
    print(f"  seeded in {time.perf_counter() - began:.1f} s", flush=True)

    port = free_port()
    log = tempfile.NamedTemporaryFile("w", prefix="sync_push_gunicorn_", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "luckygas.asgi:application",
            "-k",
            "uvicorn.workers.UvicornWorker",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            # A loaded 2-core machine can starve a worker's heartbeat past gunicorn's default 30 s.
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=django_env(database_url),
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
                raise SystemExit(f"gunicorn did not start; see {log.name}")
            time.sleep(0.3)
        print(f"pushing through gunicorn ({args.workers} uvicorn workers) with {args.concurrency} devices…", flush=True)
        elapsed, latencies, counts = asyncio.run(run_api(base_url, devices, args.concurrency))
        load_after_api = load_average()
        print(f"HTTP floor: GET /healthz with {args.concurrency} clients…", flush=True)
        floor_rate = asyncio.run(run_http_floor(base_url, len(latencies), args.concurrency))
        paced = None
        if paced_devices:
            print(f"paced: {len(paced_devices)} devices, one batch each every {args.pace:g} s…", flush=True)
            paced = asyncio.run(run_paced(base_url, paced_devices, args.pace))
    finally:
        server.terminate()
        server.wait(timeout=30)

    actions = sum(counts.values())
    rows = args.drivers * args.stops
    raw_elapsed = asyncio.run(run_raw(database_url, rows, args.concurrency))
    api_rate = counts.get("applied", 0) / elapsed
    raw_rate = rows / raw_elapsed
    print()
    print(f"actions pushed:           {actions:,} ({counts})")
    print(f"API applied actions/s:    {api_rate:,.0f}  ({elapsed:.1f} s, {len(latencies):,} batches of ≤ 10)")
    print(f"batch latency:            {latency_line(latencies)}  (closed loop, {args.concurrency} devices)")
    # Little's law: with N devices always waiting on an answer, mean latency = N / batches per second.
    print(f"  closed-loop floor:        mean ≥ {args.concurrency / (len(latencies) / elapsed) * 1000:.0f} ms")
    print(f"raw INSERT … ON CONFLICT: {raw_rate:,.0f} rows/s ({rows:,} rows, batches of 10, {raw_elapsed:.1f} s)")
    print(f"API / raw:                {api_rate / raw_rate:.2f} (goal ≥ 0.33)")
    print(
        f"HTTP floor:               {floor_rate:,.0f} GET /healthz per s (no database, same server and client) "
        f"→ at most {floor_rate * 10:,.0f} actions/s in batches of 10 = {floor_rate * 10 / raw_rate:.2f} of raw"
    )
    if paced is not None:
        _elapsed, paced_latencies, paced_counts = paced
        print(
            f"paced batch latency:      {latency_line(paced_latencies)}  ({len(paced_devices)} devices, "
            f"1 batch / {args.pace:g} s each, {len(paced_latencies)} batches, {paced_counts})"
        )
    print(f"workers: {args.workers} · load average after the API run: {load_after_api} · at the end: {load_average()}")


if __name__ == "__main__":
    main()
