"""Where a sync push's time goes: cProfile of pushes served in-process by Django's WSGI handler.

Seeds a small day (bench/sync_push.py's seeding) in a dedicated database, warms up, then serves
BATCHES pushes of 10 deliveries each through `django.test.Client` (the full middleware stack and
DRF view, no network) under cProfile, and prints the mean wall time per push and the top of the
profile by cumulative and by own time. Also counts the SQL queries of one push and the Redis
commands it sends (MONITOR is not used: the client's own counter, see below).

    .venv/bin/python bench/profile_push.py [--batches 200] [--sort cumulative|tottime] [--top 40]

Needs PostgreSQL (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432) and Redis (REDIS_URL).
"""

import argparse
import cProfile
import datetime
import io
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sync_push import django_env, recreate_database, seed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--database", default="luckygas_push_profile")
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    database_url = f"{server_url}/{args.database}"
    recreate_database(server_url, args.database)
    stops_per_driver = 40
    drivers = (2 * args.batches * 10 + 20 * 10) // stops_per_driver + 1
    devices = seed(database_url, drivers, stops_per_driver)
    os.environ.update(django_env(database_url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luckygas.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    batches = []
    for device in devices:
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
        batches += [(device["token"], actions[start : start + 10]) for start in range(0, len(actions), 10)]

    def push(token: str, actions: list[dict]) -> None:
        body = {"sent_at": datetime.datetime.now(datetime.UTC).isoformat(), "actions": actions}
        response = client.post(
            "/api/v1/driver/sync", body, content_type="application/json", HTTP_AUTHORIZATION=f"Device {token}"
        )
        if response.status_code != 200:
            raise SystemExit(f"push refused: {response.status_code} {response.content[:300]!r}")

    warm, plain = batches[:20], batches[20 : 20 + args.batches]
    measured = batches[20 + args.batches : 20 + 2 * args.batches]
    for token, actions in warm:
        push(token, actions)
    timings = []
    for token, actions in plain:
        began = time.perf_counter()
        push(token, actions)
        timings.append(time.perf_counter() - began)
    timings.sort()
    print(
        f"{len(plain)} pushes of 10 in-process, no profiler: p50 {timings[len(timings) // 2] * 1000:.1f} ms, "
        f"mean {sum(timings) / len(timings) * 1000:.1f} ms"
    )
    token, actions = measured[0]
    with CaptureQueriesContext(connection) as queries:
        push(token, actions)
    print(f"queries in one push of {len(actions)} actions: {len(queries.captured_queries)}")
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for token, actions in measured[1:]:
        push(token, actions)
    profiler.disable()
    elapsed = time.perf_counter() - began
    pushes = len(measured) - 1
    print(f"{pushes} pushes of 10 in-process: {elapsed / pushes * 1000:.1f} ms per push (under cProfile)")
    profiler.dump_stats(Path(tempfile.gettempdir()) / "push.prof")  # for pstats' callers/callees
    for sort in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(args.top)
        print(f"\n=== top {args.top} by {sort} ===")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:12000])


if __name__ == "__main__":
    main()
