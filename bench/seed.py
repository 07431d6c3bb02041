"""How long seed_demo takes for 100,000 customers and 1,000,000 orders on PostgreSQL.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/luckygas_seed_bench .venv/bin/python bench/seed.py
       [--customers N] [--orders M] [--keep]
Creates the database (dropping an old one unless --keep), migrates, seeds, prints the figures.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="reuse the existing bench database")
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/luckygas_seed_bench")
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    if not args.keep:
        admin = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], check=True, env=env, cwd=ROOT)
    started = time.perf_counter()
    subprocess.run(
        [*manage, "seed_demo", "--customers", str(args.customers), "--orders", str(args.orders)],
        check=True,
        env=env,
        cwd=ROOT,
    )
    elapsed = time.perf_counter() - started
    print(
        f"seed_demo: {args.customers:,} customers, {args.orders:,} orders in {elapsed:.1f} s "
        f"({args.orders / elapsed:,.0f} orders/s) on {parsed.hostname}/{name}"
    )


if __name__ == "__main__":
    main()
