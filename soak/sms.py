"""Customers' SMS in the soak: fake providers with their own logs, a notice producer, and the SMS invariants.

The providers are the test suite's fakes (`tests/sms/fakes.py`: Mitake's and Every8d's real HTTP protocols) in a
process of their own. Mitake, tried first, answers slowly and rate-limits (HTTP 429) one send in `RATE_LIMIT_EVERY`;
Every8d takes over when Mitake fails. Two faults act on Mitake through the process's control endpoint:
**down** (it answers 503 for a window) and **cut** (the network to it is cut: connections are accepted and never
answered, so every send times out not knowing whether it was delivered). Each fake records every SMS it delivered
to a handset (time, number, provider), which the invariants read at the end.

The producer is a Django process of its own writing the day's extra notices to the outbox, paced over the run, each
to its own number so that a duplicate shows as a number that got two SMS; it retries a batch the database refused
(a restart, a pause) under the same idempotency keys and logs each batch once committed. A few numbers opted out
before the day starts: their notices must never reach a handset.
"""

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
LATENCY = 0.25  # seconds Mitake takes to answer a send (slow, as in the issue)
RATE_LIMIT_EVERY = 40  # Mitake answers HTTP 429 to one send in 40
OPT_OUT_EVERY = 50  # one notice number in 50 opted out before the day
TIMEOUT_SECONDS = 3  # SMS_HTTP_TIMEOUT_SECONDS in the stack: a cut network costs a send this long
PROVIDERS = ("mitake", "every8d")
FINAL_OK = {"accepted", "delivered"}
# The limit is counted when a send starts, a handset is reached when it ends: a send started in one minute can land
# in the next. At most the SMS worker's concurrency can straddle a minute's boundary.
MINUTE_SLACK = 4


def notice_phone(number: int) -> str:
    return f"0939{number:06d}"


def opted_out(number: int) -> bool:
    return number % OPT_OUT_EVERY == 7


def environment(urls: dict[str, str], body_key: str) -> dict[str, str]:
    """What the web, workers and beat need to send through the fakes (credentials as the fakes expect)."""
    from tests.sms import fakes

    return {
        "SMS_BODY_KEYS": body_key,
        "SMS_MITAKE_BASE_URL": urls["mitake"],
        "SMS_MITAKE_USERNAME": fakes.MITAKE_USER,
        "SMS_MITAKE_PASSWORD": fakes.MITAKE_PASSWORD,
        "SMS_EVERY8D_BASE_URL": urls["every8d"],
        "SMS_EVERY8D_UID": fakes.EVERY8D_UID,
        "SMS_EVERY8D_PASSWORD": fakes.EVERY8D_PASSWORD,
        "SMS_HTTP_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "SMS_RECONCILE_INTERVAL_SECONDS": "10",
        "SMS_REDISPATCH_AFTER_SECONDS": "30",
    }


# --- the providers' process -------------------------------------------------------------------------------


class HandsetLog(Counter):
    """A fake's SMS-per-number counter that also notes each delivery's time and provider (the fakes count under
    their own lock, so every increase is one SMS reaching a handset)."""

    def __init__(self, provider: str, delivered: list) -> None:
        super().__init__()
        self.provider, self.delivered = provider, delivered

    def __setitem__(self, phone: str, count: int) -> None:
        for _ in range(count - self.get(phone, 0)):
            self.delivered.append((time.time(), phone, self.provider))
        super().__setitem__(phone, count)


def serve(folder: str) -> None:
    """Run Mitake and Every8d fakes until killed; write their URLs to `folder`/urls.json."""
    from tests.sms import fakes

    mitake, every8d = fakes.FakeMitake(), fakes.FakeEvery8d()
    mitake.latency, mitake.rate_limit_every = LATENCY, RATE_LIMIT_EVERY
    servers = {"mitake": mitake, "every8d": every8d}
    modes = dict.fromkeys(servers, "ok")
    delivered: list[tuple[float, str, str]] = []
    for name, server in servers.items():
        server.handset = HandsetLog(name, delivered)
        handle = server.handle

        def handle_with_control(method, path, query, form, headers, name=name, handle=handle):
            if path == "/soak/mode":  # the harness's switch: ok, down, cut
                modes[name] = query["mode"]
                return 200, modes[name], "text/plain"
            if path == "/soak/delivered":
                return 200, json.dumps([item for item in list(delivered) if item[2] == name]), "application/json"
            if modes[name] == "cut":  # no answer until the client gave up: nothing reaches a handset
                time.sleep(TIMEOUT_SECONDS + 2)
                return 504, "", "text/plain"
            if modes[name] == "down":
                return 503, "Service Unavailable", "text/html"
            return handle(method, path, query, form, headers)

        server.handle = handle_with_control
    (Path(folder) / "urls.json").write_text(json.dumps({name: s.base_url for name, s in servers.items()}))
    threading.Event().wait()


class Providers:
    """The fakes' process, seen from the harness."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.urls: dict[str, str] = {}

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from soak.sms import serve; serve({str(self.folder)!r})"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        urls = self.folder / "urls.json"
        deadline = time.monotonic() + 30
        while not urls.exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the fake SMS providers did not start")
            time.sleep(0.1)
        self.urls = json.loads(urls.read_text())

    def set_mode(self, provider: str, mode: str) -> None:
        httpx.get(f"{self.urls[provider]}/soak/mode", params={"mode": mode}, timeout=5)

    def delivered(self) -> list[tuple[float, str, str]]:
        return [
            tuple(item)
            for provider in PROVIDERS
            for item in httpx.get(f"{self.urls[provider]}/soak/delivered", timeout=30).json()
        ]

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)


# --- the producer -------------------------------------------------------------------------------------------

PRODUCER = """
import json, sys, time
sys.path.insert(0, {root!r})
import django
django.setup()
from django.db import connections, transaction
from sms import services
from soak.sms import notice_phone
count, seconds, batch, log = {count}, {seconds}, {batch}, {log!r}
started = time.monotonic()
for first in range(0, count, batch):
    numbers = range(first, min(first + batch, count))
    pause = started + first / count * seconds - time.monotonic()
    if pause > 0:
        time.sleep(pause)
    while True:
        try:
            with transaction.atomic():
                for number in numbers:
                    services.message_enqueue(
                        idempotency_key=f"soak-notice:{{number}}",
                        phone=notice_phone(number),
                        body=f"幸福氣體通知 {{number}}：您的瓦斯今天送達。",
                    )
            break
        except Exception as error:  # the database restarting or paused: the same batch again
            connections.close_all()
            print(f"retry batch {{first}}: {{error.__class__.__name__}}", file=sys.stderr, flush=True)
            time.sleep(1)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(list(numbers)) + "\\n")
"""


def prepare(database_env: dict[str, str], count: int) -> None:
    """Before the day: both providers enabled (Mitake first), and the opted-out numbers recorded."""
    script = (
        "import django; django.setup()\n"
        "from sms.models import Provider\n"
        "from sms.services.recipients import opt_out_add\n"
        "from soak.sms import notice_phone, opted_out\n"
        "Provider.objects.update_or_create(name='mitake', defaults={'priority': 1, 'is_enabled': True, "
        "'rate_per_second': 30, 'failure_threshold': 5, 'cooldown_seconds': 15})\n"
        "Provider.objects.update_or_create(name='every8d', defaults={'priority': 2, 'is_enabled': True, "
        "'rate_per_second': 30, 'cooldown_seconds': 15})\n"
        "Provider.objects.exclude(name__in=['mitake', 'every8d']).update(is_enabled=False)\n"
        f"[opt_out_add(phone=notice_phone(n), note='soak') for n in range({count}) if opted_out(n)]\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=database_env, check=True)


def start_producer(database_env: dict[str, str], *, count: int, seconds: float, log: Path) -> subprocess.Popen:
    code = PRODUCER.format(root=str(ROOT), count=count, seconds=seconds, batch=20, log=str(log))
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=database_env)


def committed_numbers(log: Path) -> list[int]:
    if not log.exists():
        return []
    return [number for line in log.read_text().splitlines() if line for number in json.loads(line)]


# --- the end of the day -------------------------------------------------------------------------------------


def outbox(database_url: str) -> dict[str, tuple[str, str]]:
    """idempotency key → (status, error code) of the day's notices."""
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT idempotency_key, status, error_code FROM sms_message WHERE idempotency_key LIKE 'soak-notice:%'"
        ).fetchall()
    return {key: (status, error_code) for key, status, error_code in rows}


# A send whose outcome could not be recorded (its worker died, or the database went away right then) is taken
# back when its lease ends (sms.services.status.LEASE, 120 s), asked about 20 s later and settled by the next
# reconcile (10 s here): the day's last notices may need that long.
SETTLE_SECONDS = 120 + 20 + 10 + 30


def wait_until_settled(database_url: str, count: int, timeout: float) -> None:
    """After the day: give the outbox until `timeout` to send or fail what is still in flight."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = outbox(database_url)
        if len(states) >= count and all(status in FINAL_OK | {"failed", "expired"} for status, _ in states.values()):
            return
        time.sleep(2)


def check_invariants(
    database_url: str, providers: Providers, committed: list[int], limit_per_minute: int
) -> list[tuple[str, bool, str]]:
    states = outbox(database_url)
    delivered = providers.delivered()
    handsets = Counter(phone for _moment, phone, _provider in delivered)
    by_provider = Counter(provider for _moment, _phone, provider in delivered)
    wanted = [number for number in committed if not opted_out(number)]
    refused = [number for number in committed if opted_out(number)]
    missing_rows = [number for number in committed if f"soak-notice:{number}" not in states]
    not_sent = {
        number: states.get(f"soak-notice:{number}", ("missing", ""))
        for number in wanted
        if states.get(f"soak-notice:{number}", ("missing", ""))[0] not in FINAL_OK
    }
    lost = [number for number in wanted if handsets[notice_phone(number)] == 0]
    doubled = [number for number in committed if handsets[notice_phone(number)] > 1]
    reached_opted_out = [number for number in refused if handsets[notice_phone(number)]]
    refused_states = Counter(states.get(f"soak-notice:{number}", ("missing", ""))[1] for number in refused)
    per_minute = Counter(int(moment // 60) for moment, _phone, _provider in delivered)
    busiest = max(per_minute.values(), default=0)
    return [
        (
            "every SMS notice sent exactly once, none lost (the providers' own logs)",
            not missing_rows and not not_sent and not lost and not doubled,
            f"{len(committed)} notices written, {len(wanted)} to send: {len(wanted) - len(lost)} reached a handset "
            f"({dict(by_provider)}), {len(lost)} lost {lost[:10]}, {len(doubled)} doubled {doubled[:10]}, "
            f"{len(missing_rows)} not in the outbox, {len(not_sent)} not accepted {dict(list(not_sent.items())[:5])}",
        ),
        (
            "opt-outs and the sending limit respected",
            not reached_opted_out
            and set(refused_states) <= {"opted_out"}
            and busiest <= limit_per_minute + MINUTE_SLACK,
            f"{len(refused)} opted-out numbers, {len(reached_opted_out)} reached {reached_opted_out[:10]}, "
            f"their notices {dict(refused_states)}; busiest minute {busiest} SMS (limit {limit_per_minute}, "
            f"+{MINUTE_SLACK} sends straddling a minute)",
        ),
    ]
