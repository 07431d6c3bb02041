"""Run the day: stack up, seed, Locust headless with CSV stats, faults in parallel, then the report.

    .venv/bin/python -m soak [--minutes 10] [--drivers 40] [--stops 60] [--out soak-results]

`--drivers` scales the phones down for a 2-core machine (the issue's day has 200).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import gevent
from cryptography.fernet import Fernet
from locust import events
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter

from soak import banking, dashboard, drivers, exports, faults, office, report, sms
from soak.processes import ROOT, Stack

SEED = """
import json, sys
sys.path.insert(0, {root!r})
import django
django.setup()
from bench.sync_push import seed_in_django
print(json.dumps(seed_in_django({drivers}, {stops}, "soak")))
"""


def seed(stack: Stack, drivers_count: int, stops: int) -> list[dict]:
    output = subprocess.run(
        [sys.executable, "-c", SEED.format(root=str(ROOT), drivers=drivers_count, stops=stops)],
        cwd=ROOT,
        env={**stack.env(), "DJANGO_SETTINGS_MODULE": "luckygas.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run(
    *,
    minutes: float,
    drivers_count: int,
    stops: int,
    out: Path,
    repeat: int = 2,
    keep: bool = False,
    notices: int = 2000,
    sms_limit: int = 300,
    managers: int = 20,
    bank_items: int = 5000,
    clerks: int = 2,
    exporters: int = 2,
    export_history: int = 5001,
) -> bool:
    out.mkdir(parents=True, exist_ok=True)
    stack = Stack()
    duration = minutes * 60
    stack.fault_window = max(5.0, min(20.0, duration / 10))
    print(f"[soak] private cluster in {stack.base}", flush=True)
    producer = None
    try:
        stack.start_data()
        stack.sms = sms.Providers(stack.base)
        stack.sms.start()
        stack.extra_env.update(sms.environment(stack.sms.urls, Fernet.generate_key().decode()))
        stack.extra_env["SMS_SYSTEM_LIMIT_PER_MINUTE"] = str(sms_limit)
        stack.bank = banking.Bank(stack.base)
        stack.bank.start()
        stack.extra_env.update(stack.bank.environment())
        stack.process_env["worker-banking"] = stack.bank.worker_environment()
        stack.extra_env["DJANGO_MEDIA_ROOT"] = str(stack.base / "media")  # photos and exports, as the shared volume
        stack.extra_env["DASHBOARD_EXPORT_LEASE_SECONDS"] = "120"  # a killed worker's export is run again this soon
        django_env = {**stack.env(), "DJANGO_SETTINGS_MODULE": "luckygas.settings"}
        bank_seeding = gevent.spawn(stack.bank.seed, django_env, bank_items)  # beside the other seeding
        sms.prepare(django_env, notices)
        shared = drivers.Shared(devices=seed(stack, drivers_count, stops))
        print(f"[soak] banking: {bank_seeding.get()}", flush=True)
        shared.offline_spell_seconds = max(5.0, minutes * 60 / 30)
        shared.pace = max(1.0, minutes * 60 * 0.85 / max(1, stops / (drivers.BATCH // 2)))
        shared.database_url, shared.media_root = stack.postgres.url, stack.extra_env["DJANGO_MEDIA_ROOT"]
        drivers.SHARED = shared
        office.OFFICE = office.OfficeLog(routes=office.load_routes(stack.postgres.url))
        exports.EXPORTS = exports.ExportLog()
        stack.start_services()
        stack.bank.start_simulator(django_env)
        banking_greenlet = gevent.spawn(banking.office_day_at_first_refusal, stack.bank, django_env, duration * 0.9)
        notice_log = out / "sms-notices.jsonl"
        notice_log.unlink(missing_ok=True)
        producer = sms.start_producer(django_env, count=notices, seconds=duration * 0.8, log=notice_log)
        staff = dashboard.CREATE_MANAGER + office.CREATE_CLERK + exports.SEED_HISTORY.format(rows=export_history)
        subprocess.run([sys.executable, "-c", staff], cwd=ROOT, env=django_env, check=True)  # one Django start-up
        session = dashboard.log_in(stack.web_url)
        watchers = [dashboard.Watcher(n, stack.web_url, stack.ws_url, session) for n in range(managers)]
        watching = []
        watcher_greenlets = [gevent.spawn(watcher.run, lambda: bool(watching)) for watcher in watchers]
        plan = faults.schedule(duration, repeat=repeat, settle=min(15.0, duration / 8))
        drivers.DriverPhone.fixed_count = drivers_count
        office.OfficeClerk.fixed_count, exports.ManagerExports.fixed_count = clerks, exporters
        users = [drivers.DriverPhone, office.OfficeClerk, exports.ManagerExports]
        environment = Environment(user_classes=users, events=events, host=stack.web_url)
        runner = environment.create_local_runner()
        writer = StatsCSVFileWriter(environment, PERCENTILES_TO_REPORT, str(out / "soak"), full_history=True)
        csv_greenlet = gevent.spawn(writer)
        started = time.time()
        done = []
        fault_greenlet = gevent.spawn(faults.run, stack, plan, started, lambda: bool(done))
        runner.start(drivers_count + clerks + exporters, spawn_rate=max(1, drivers_count / 5))
        gevent.sleep(duration)
        runner.quit()
        done.append(True)
        fault_greenlet.join(timeout=60)
        stack.supervise()
        csv_greenlet.kill()
        writer.close_files()
        producer.wait(timeout=120)
        stack.sms.set_mode("mitake", "ok")
        sms.wait_until_settled(stack.postgres.url, notices, timeout=max(sms.SETTLE_SECONDS, duration / 5))
        dashboard_invariant = dashboard.check(watchers)  # waits for the ticker's last pushes
        watching.append(True)
        gevent.joinall(watcher_greenlets, timeout=10)
        committed = sms.committed_numbers(notice_log)
        sms_invariants = sms.check_invariants(stack.postgres.url, stack.sms, committed, sms_limit)
        banking_greenlet.join(timeout=300)
        stack.bank.wait_for_returns(stack.postgres.url, timeout=120)
        bank_invariants = stack.bank.check(django_env)
        day_invariants = [*office.check(stack.postgres.url, office.OFFICE), exports.check(exports.EXPORTS)]
        return print_report(
            stack, shared, plan, started, out, [*day_invariants, *sms_invariants, dashboard_invariant, *bank_invariants]
        )
    finally:
        if producer is not None and producer.poll() is None:
            producer.kill()
        stack.stop(keep=keep)


def print_report(
    stack: Stack,
    shared: drivers.Shared,
    plan: list[faults.Fault],
    started: float,
    out: Path,
    sms_invariants: list[tuple[str, bool, str]],
) -> bool:
    invariants = report.check_invariants(stack.postgres.url, shared) + sms_invariants
    share, ok, total = report.availability(shared)
    print("\n== invariants ==")
    for name, holds, detail in invariants:
        print(f"{'holds' if holds else 'FAILS'}: {name} — {detail}")
    available = share >= 0.999
    print(
        f"{'holds' if available else 'FAILS'}: availability {share * 100:.3f} % ({ok}/{total} user requests, "
        "a phone's automatic retries counted as the same request)"
    )
    print("\n== faults ==")
    for fault in plan:
        print(f"  {fault.at:7.1f}s {fault.kind:17s} {fault.detail}")
    restarts = {name: process.restarts for name, process in stack.processes.items()}
    print(f"  supervised restarts: {restarts}")
    print("\n== 5xx / refused attempts and their causes ==")
    causes: dict[tuple[str, int, str], int] = {}
    for _moment, kind, status, cause in shared.errors:
        key = (kind, status, cause[:90])
        causes[key] = causes.get(key, 0) + 1
    for (kind, status, cause), count in sorted(causes.items(), key=lambda item: -item[1])[:20]:
        print(f"  {count:5d} × {kind} {status or 'no answer'}: {cause}")
    for line in report.server_errors(stack.base):
        print(f"  web log: {line}")
    print("\n== p95 latency (ms) per request type and window ==")
    for kind, where, count, p95 in report.latency_table(shared, plan):
        print(f"  {kind:16s} {where:17s} n={count:6d} p95={p95:8.0f}")
    path = report.chart(shared, plan, started, out / "timeline.png")
    print(f"\nCSV stats: {out}/soak_*.csv  chart: {path}")
    return available and all(holds for _name, holds, _detail in invariants)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--drivers", type=int, default=40)
    parser.add_argument("--stops", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2, help="times each fault kind is injected")
    parser.add_argument("--out", type=Path, default=ROOT / "soak-results")
    parser.add_argument("--keep", action="store_true", help="keep the private cluster's folder (logs)")
    parser.add_argument("--notices", type=int, default=2000, help="extra SMS notices over the day")
    parser.add_argument("--sms-limit", type=int, default=300, help="SMS_SYSTEM_LIMIT_PER_MINUTE of the day")
    parser.add_argument("--managers", type=int, default=20, help="dashboard websockets open all day")
    parser.add_argument("--bank-items", type=int, default=5000, help="items of the day's collection batch")
    parser.add_argument("--clerks", type=int, default=2, help="office clerks working the admin's forms")
    parser.add_argument("--exporters", type=int, default=2, help="managers downloading Excel and PDF exports")
    parser.add_argument("--export-history", type=int, default=5001, help="past orders (a queued orders export)")
    args = parser.parse_args()
    passed = run(
        minutes=args.minutes,
        drivers_count=args.drivers,
        stops=args.stops,
        out=args.out,
        repeat=args.repeat,
        keep=args.keep,
        notices=args.notices,
        sms_limit=args.sms_limit,
        managers=args.managers,
        bank_items=args.bank_items,
        clerks=args.clerks,
        exporters=args.exporters,
        export_history=args.export_history,
    )
    sys.exit(0 if passed else 1)
