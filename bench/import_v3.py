"""import_v3 at LuckyGas's size: 50,000 customers and 1,000,000 orders with items, then a delta of 1,000 rows.

Usage: .venv/bin/python bench/import_v3.py [--customers N] [--orders M] [--runs R]
Builds a v3-shaped database (tests/v3import/v3_schema.sql) filled server-side with generate_series,
imports it into a fresh database of ours, changes 1,000 rows in v3 and imports the delta with --since.
Prints, per run: the full import's time and peak RSS (the import process's own), the delta's time,
the reconciliation the command printed, and each goal (full < 10 min, delta < 30 s) as PASS/FAIL;
with --runs > 1, the medians.
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.v3import.v3db import TABLES, v3_database  # noqa: E402

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
TARGET = "luckygas_import_bench"


def fill(url: str, customers: int, orders: int) -> None:
    """Everything generated inside PostgreSQL: seconds, not minutes, for a million orders."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            """INSERT INTO gas_products
                 (id, delivery_method, size_kg, attribute, sku, name_zh, unit_price, deposit_amount)
               VALUES (1, 'CYLINDER', 20, 'REGULAR', 'GAS-C20-R', '20KG', 950, 1800),
                      (2, 'CYLINDER', 50, 'REGULAR', 'GAS-C50-R', '50KG', 2300, 3500),
                      (3, 'CYLINDER', 16, 'REGULAR', 'GAS-C16-R', '16KG', 820, 1500),
                      (4, 'CYLINDER', 10, 'REGULAR', 'GAS-C10-R', '10KG', 560, 1200)"""
        )
        connection.execute(
            """INSERT INTO customers (id, customer_code, short_name, address, phone, customer_type, area,
                                      is_active, cylinders_20kg, created_at, updated_at)
               SELECT i, 'V' || lpad(i::text, 7, '0'), '客戶' || i,
                      (ARRAY['臺北市大安區', '台北市信義區', '新北市板橋區', '新北市中和區'])[1 + i %% 4]
                        || '忠孝東路' || i || '號',
                      '0912' || lpad((i %% 1000000)::text, 6, '0'),
                      (ARRAY['RESIDENTIAL', 'RESTAURANT', 'COMMERCIAL', 'SCHOOL'])[1 + i %% 4],
                      'area-' || (i %% 40), i %% 50 <> 0, i %% 3,
                      now() - interval '400 days', now() - interval '1 day'
               FROM generate_series(1, %s) AS i""",
            [customers],
        )
        connection.execute(
            """INSERT INTO customer_inventory (id, customer_id, gas_product_id, quantity_total, last_updated)
               SELECT i, i, 1 + i %% 4, 1 + i %% 3, now() - interval '1 day' FROM generate_series(1, %s) AS i""",
            [customers],
        )
        connection.execute(
            """INSERT INTO orders (id, order_number, customer_id, status, order_date, scheduled_date,
                                   delivery_time_start, final_amount, payment_method, is_urgent, created_at, updated_at)
               SELECT i, 'O' || i, 1 + i %% %s,
                      (ARRAY['DELIVERED', 'DELIVERED', 'DELIVERED', 'CANCELLED', 'PENDING'])[1 + i %% 5]::orderstatus,
                      now() - ((i %% 700) || ' days')::interval, now() - ((i %% 700) || ' days')::interval,
                      (ARRAY['08:00', '13:00', '18:00', NULL])[1 + i %% 4],
                      CASE WHEN i %% 2 = 0 THEN 950 + 2300 ELSE 950 * (1 + i %% 3) END,
                      (ARRAY['cash', 'credit', 'transfer'])[1 + i %% 3], i %% 97 = 0,
                      now() - interval '2 days', now() - interval '1 day'
               FROM generate_series(1, %s) AS i""",
            [customers, orders],
        )
        # One line per order; every second order has a 50 kg line too (its total above includes it).
        connection.execute(
            """INSERT INTO order_items (id, order_id, gas_product_id, quantity, unit_price, subtotal, final_amount)
               SELECT i, i, 1, CASE WHEN i %% 2 = 0 THEN 1 ELSE 1 + i %% 3 END, 950, 0, 0
               FROM generate_series(1, %s) AS i""",
            [orders],
        )
        connection.execute(
            """INSERT INTO order_items (id, order_id, gas_product_id, quantity, unit_price, subtotal, final_amount)
               SELECT %s + i, 2 * i, 2, 1, 2300, 2300, 2300 FROM generate_series(1, %s) AS i""",
            [orders, orders // 2],
        )
        connection.execute(
            """INSERT INTO order_templates (id, template_name, customer_id, products, is_recurring,
                                            recurrence_pattern, recurrence_days, created_at, updated_at)
               SELECT i, '每週', i, '[{"gas_product_id": 1, "quantity": 2}]', true, 'weekly', '[1, 4]',
                      now() - interval '30 days', now() - interval '1 day'
               FROM generate_series(1, %s) AS i""",
            [min(2000, customers)],
        )
        for table in TABLES:
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
        connection.execute("ANALYZE")


def change_rows(url: str, count: int) -> datetime.datetime:
    """`count` rows changed after a cut-off: half customers renamed, half orders re-priced and delivered."""
    cutoff = datetime.datetime.now(tz=datetime.UTC)
    later = cutoff + datetime.timedelta(seconds=5)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "UPDATE customers SET short_name = short_name || '（改）', updated_at = %s WHERE id <= %s",
            [later, count // 2],
        )
        connection.execute(
            "UPDATE orders SET status = 'DELIVERED', updated_at = %s WHERE id IN"
            " (SELECT id FROM orders WHERE status = 'PENDING' ORDER BY id LIMIT %s)",
            [later, count - count // 2],
        )
    return cutoff


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_import(env: dict[str, str], *args: str) -> tuple[float, int, str, int, list[int]]:
    """The import as its own process: its time, its own peak RSS (os.wait4, not the largest child so far,
    which would count `migrate`) and its RSS sampled every half second (is memory flat?)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "import_v3", *args, "--report-dir", "build/v3-import-bench"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
            text=True,
        )
        samples: list[int] = []
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            samples.append(_rss_kib(process.pid))
            time.sleep(0.5)
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        output = out.read() + (err.read()[-2000:] if process.returncode else "")
    return elapsed, usage.ru_maxrss, output, process.returncode, [s for s in samples if s]


def rss_profile(samples: list[int]) -> str:
    """RSS at each tenth of the run: flat memory shows as the same figure from the second tenth on."""
    if not samples:
        return "no samples"
    tenths = [samples[min(len(samples) - 1, len(samples) * k // 10)] // 1024 for k in range(1, 11)]
    return " ".join(f"{mib}" for mib in tenths) + " MiB"


def one_run(args: argparse.Namespace) -> dict[str, float]:
    parts = urlsplit(SERVER)
    target = urlunsplit((parts.scheme, parts.netloc, f"/{TARGET}", "", ""))
    with psycopg.connect(SERVER, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{TARGET}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{TARGET}"')
    env = {**os.environ, "DATABASE_URL": target, "DJANGO_DEBUG": "1", "DJANGO_LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    with v3_database(SERVER) as source:
        started = time.perf_counter()
        fill(source, args.customers, args.orders)
        print(
            f"v3 database filled: {args.customers:,} customers, {args.orders:,} orders, "
            f"{args.orders + args.orders // 2:,} items in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        full, peak_kib, output, code, samples = run_import(env, "--source", source)
        print(output, flush=True)
        print(f"full import: {full:.1f} s, peak RSS {peak_kib / 1024:.0f} MiB, exit {code}", flush=True)
        print(f"import's RSS at each tenth of the run: {rss_profile(samples)}", flush=True)
        cutoff = change_rows(source, 1000)
        delta, _peak, output, delta_code, _samples = run_import(env, "--source", source, "--since", cutoff.isoformat())
        print(output, flush=True)
        print(f"delta of 1,000 changed rows: {delta:.1f} s, exit {delta_code}", flush=True)
    return {"full_s": full, "peak_mib": peak_kib / 1024, "delta_s": delta, "exit": max(code, delta_code)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start", flush=True)
    results = [one_run(args) for _ in range(args.runs)]
    full = statistics.median(result["full_s"] for result in results)
    peak = statistics.median(result["peak_mib"] for result in results)
    delta = statistics.median(result["delta_s"] for result in results)
    print(f"\nmedian of {len(results)} run(s): full {full:.1f} s · peak RSS {peak:.0f} MiB · delta {delta:.1f} s")
    print(f"goal full import < 600 s: {'PASS' if full < 600 else 'FAIL'} ({full:.1f} s)")
    print(f"goal delta of 1,000 rows < 30 s: {'PASS' if delta < 30 else 'FAIL'} ({delta:.1f} s)")
    print(f"reconciliation agreed in every run: {'yes' if all(r['exit'] == 0 for r in results) else 'NO'}")


if __name__ == "__main__":
    main()
