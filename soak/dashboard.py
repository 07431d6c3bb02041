"""Managers in the soak: dashboards open all day on websockets, following the browser's own protocol.

Each watcher logs in as a manager, reads the snapshot over HTTP, then applies the pushes of `/ws/dashboard/` as
dashboard/static/dashboard/live.js does: a push already applied is skipped, a gap in a metric's sequence numbers
re-reads the snapshot, a reconnect re-reads it too; a ping every 20 s. At the end of the day, every watcher whose
socket stayed connected all day must show what a fresh snapshot shows.
"""

import contextlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import websocket

MANAGER = "soak-manager"
PASSWORD = "soak-manager-password"
PING_SECONDS = 20.0

CREATE_MANAGER = f"""
import django
django.setup()
from django.contrib.auth.models import Group, User
from luckygas.delivery import roles
user, _ = User.objects.get_or_create(username={MANAGER!r}, defaults={{"is_staff": True}})
user.set_password({PASSWORD!r})
user.save()
user.groups.add(Group.objects.get(name=roles.MANAGER))
"""


def _cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise RuntimeError(f"no {name} cookie from {response.request.url} ({response.status_code})")


def log_in(base_url: str) -> str:
    """A manager's session cookie, through the admin's login form (CSRF and all). The requests say they came
    through the TLS ingress (X-Forwarded-Proto), as in production, where the cookies are Secure."""
    origin = base_url.replace("http://", "https://")
    headers = {"X-Forwarded-Proto": "https"}
    page = httpx.get(f"{base_url}/admin/login/", headers=headers, timeout=30)
    csrf_cookie = _cookie(page, "csrftoken")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = httpx.post(
        f"{base_url}/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token, "username": MANAGER, "password": PASSWORD, "next": "/admin/"},
        headers={
            **headers,
            "Cookie": f"csrftoken={csrf_cookie}",
            "Origin": origin,
            "Referer": f"{origin}/admin/login/",
        },
        timeout=30,
    )
    return _cookie(answer, "sessionid")


@dataclass
class Watcher:
    number: int
    base_url: str
    ws_url: str
    session: str
    seqs: dict[str, int] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)  # metric -> its data, as JSON
    pushes: int = 0
    resyncs: int = 0
    reconnects: int = 0
    errors: list[str] = field(default_factory=list)

    def snapshot(self) -> dict[str, dict]:
        response = httpx.get(
            f"{self.base_url}/api/v1/dashboard/snapshot/",
            headers={"Cookie": f"sessionid={self.session}", "X-Forwarded-Proto": "https"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["metrics"]

    def resync(self) -> None:
        for _ in range(60):  # the web may be restarting: as the page, try again
            try:
                metrics = self.snapshot()
                break
            except (httpx.HTTPError, ValueError) as error:
                self.errors.append(f"snapshot: {error!r}"[:200])
                time.sleep(1)
        else:
            return
        self.resyncs += 1
        for name, entry in metrics.items():
            self.seqs[name] = entry["seq"]
            self.data[name] = json.dumps(entry["data"], sort_keys=True)

    def apply(self, message: dict) -> None:
        if message.get("type") != "metric":
            return
        name, seq = message["metric"], message["seq"]
        last = self.seqs.get(name)
        if last is not None and seq <= last:
            return  # already applied
        if last is not None and seq > last + 1:
            self.resync()  # pushes were missed
            return
        self.seqs[name] = seq
        self.data[name] = json.dumps(message["data"], sort_keys=True)
        self.pushes += 1

    def run(self, stop) -> None:
        first = True
        while not stop():
            try:
                socket = websocket.create_connection(
                    f"{self.ws_url}/ws/dashboard/", header=[f"Cookie: sessionid={self.session}"], timeout=5
                )
            except Exception as error:  # the websocket server restarting: the page retries
                self.errors.append(f"connect: {error!r}"[:200])
                time.sleep(2)
                continue
            if not first:
                self.reconnects += 1
            first = False
            self.resync()
            last_ping = time.monotonic()
            try:
                while not stop():
                    socket.settimeout(1)
                    with contextlib.suppress(websocket.WebSocketTimeoutException):
                        self.apply(json.loads(socket.recv()))
                    if time.monotonic() - last_ping > PING_SECONDS:
                        socket.send(json.dumps({"type": "ping"}))
                        last_ping = time.monotonic()
            except Exception as error:  # dropped: reconnect and re-read, as the page does
                self.errors.append(f"socket: {error!r}"[:200])
            finally:
                socket.close()


# The dashboard's promise: a metric reaches an open page within its refresh period (the slowest, sms_today and
# system, recompute every 30 s even without events; dashboard/metrics/__init__.py) plus a tick (2 s) or two.
SETTLE_SECONDS = 45


def _stale(watchers: list[Watcher]) -> dict[int, list[str]]:
    fresh = {name: json.dumps(entry["data"], sort_keys=True) for name, entry in watchers[0].snapshot().items()}
    stale = {
        watcher.number: sorted(name for name, data in fresh.items() if watcher.data.get(name) != data)
        for watcher in watchers
    }
    return {number: names for number, names in stale.items() if names}


def check(watchers: list[Watcher]) -> tuple[str, bool, str]:
    """Every socket shows a fresh snapshot's numbers at the end: those that stayed connected all day through their
    pushes alone (and the re-reads a gap asked for), the others after the re-read their reconnect made. Compared
    every 2 s until they agree or SETTLE_SECONDS have passed since the day's last change could have been pushed."""
    waited_from = time.monotonic()
    time.sleep(4)  # the ticker's next pushes (every 2 s) reach the sockets
    while (stale := _stale(watchers)) and time.monotonic() - waited_from < SETTLE_SECONDS:
        time.sleep(2)
    waited = time.monotonic() - waited_from
    stayed = sum(1 for watcher in watchers if not watcher.reconnects)
    why = Counter(error[:90] for watcher in watchers for error in watcher.errors).most_common()
    return (
        "dashboard: every socket ends with a fresh snapshot's numbers",
        bool(watchers) and not stale,
        f"{len(watchers)} sockets ({stayed} stayed connected all day), "
        f"{sum(w.pushes for w in watchers)} pushes applied, {sum(w.resyncs for w in watchers)} snapshots read, "
        f"{sum(w.reconnects for w in watchers)} reconnects ({why[:3] or 'none'}); stale: {stale or 'none'} "
        f"after {waited:.0f} s (at most {SETTLE_SECONDS} s: the slowest metric's refresh and a tick)",
    )
