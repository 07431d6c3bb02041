"""Fake Mitake, Every8d and Twilio servers speaking the real protocols on loopback ports.

Each runs a `ThreadingHTTPServer` in a thread of the test process; a test scripts its next
replies (`script`), reads what reached the handset (`handset_count`) and its request log.
"""

import base64
import contextlib
import datetime
import itertools
import json
import threading
import time
import uuid
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MITAKE_USER, MITAKE_PASSWORD = "luckygas", "mitake-secret"
EVERY8D_UID, EVERY8D_PASSWORD = "luckygas", "every8d-secret"
TWILIO_SID, TWILIO_TOKEN, TWILIO_FROM = "AC" + "0" * 32, "twilio-auth-token", "+15005550006"


class FakeProvider:
    """Shared state and the server thread; subclasses implement `handle`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _respond(self, status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_POST(self) -> None:
                self._dispatch("POST")

            def _dispatch(self, method: str) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                query = {key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
                form = {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}
                status, text, content_type = provider.handle(method, url.path, query, form, dict(self.headers))
                self._respond(status, text, content_type)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.script: deque[str] = deque()
            self.latency = 0.0
            self.requests: list[tuple[str, dict[str, str]]] = []
            self.handset: Counter[str] = Counter()  # SMS actually sent, per phone number
            self.balance = 10000
            self.rate_limit_every = 0  # answer HTTP 429 to every n-th send
            self.send_calls = 0

    def next_behaviour(self) -> str:
        with self.lock:
            return self.script.popleft() if self.script else "ok"

    def handset_count(self, phone: str = "") -> int:
        return self.handset[phone] if phone else sum(self.handset.values())

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, method, path, query, form, headers):  # pragma: no cover - abstract
        raise NotImplementedError


class FakeMitake(FakeProvider):
    """`/api/mtk/SmSend` and `/api/mtk/SmQuery`. Behaviours: ok, down (HTTP 503), code:<letter>,
    accept_then_hang (accepts, then answers too late for the client's timeout)."""

    def reset(self) -> None:
        super().reset()
        self.by_clientid: dict[str, str] = {}
        self.status: dict[str, str] = {}
        self.ids = itertools.count(1000000001)

    def handle(self, method, path, query, form, headers):
        if path == "/fake/stats":  # for the benchmark, which runs this fake in another process
            with self.lock:
                stats = {
                    "handset": sum(self.handset.values()),
                    "duplicates": sum(count - 1 for count in self.handset.values() if count > 1),
                }
            return 200, json.dumps(stats), "application/json"
        self.requests.append((path, form))
        if form.get("username") != MITAKE_USER or form.get("password") != MITAKE_PASSWORD:
            return 200, "[1]\nstatuscode=e\nError=帳號、密碼錯誤\n", "text/plain"
        if path == "/api/mtk/SmQuery":
            if not form.get("msgid"):
                return 200, f"AccountPoint={self.balance}\n", "text/plain"
            lines = [
                f"{msgid}\t{self.status.get(msgid, '1')}\t{datetime.datetime.now(datetime.UTC):%Y%m%d%H%M%S}"
                for msgid in form["msgid"].split(",")
                if msgid in self.status
            ]
            return 200, "\n".join(lines) + "\n", "text/plain"
        if path != "/api/mtk/SmSend":
            return 404, "not found", "text/plain"
        if query.get("CharsetURL") != "UTF8":
            return 200, "[1]\nstatuscode=*\n", "text/plain"
        behaviour = self.next_behaviour()
        time.sleep(self.latency)
        with self.lock:
            self.send_calls += 1
            if self.rate_limit_every and self.send_calls % self.rate_limit_every == 0:
                return 429, "Too Many Requests", "text/plain"
        if behaviour == "down":
            return 503, "Service Unavailable", "text/html"
        if behaviour.startswith("code:"):
            return 200, f"[1]\nstatuscode={behaviour[5:]}\nAccountPoint={self.balance}\n", "text/plain"
        if "\n" in form.get("smbody", ""):
            return 200, "[1]\nstatuscode=5\n", "text/plain"  # a raw newline is a content error
        clientid = form.get("clientid", "")
        with self.lock:
            duplicate = bool(clientid) and clientid in self.by_clientid
            if duplicate:
                msgid = self.by_clientid[clientid]
            else:
                msgid = f"#{next(self.ids)}"
                self.by_clientid[clientid] = msgid
                self.status[msgid.lstrip("#")] = "1"
                self.handset[form["dstaddr"]] += 1
                self.balance -= 1
        reply = f"[1]\nmsgid={msgid}\nstatuscode=1\nAccountPoint={self.balance}\n"
        if duplicate:
            reply += "Duplicate=Y\n"
        if behaviour == "accept_then_hang":
            time.sleep(4)
        return 200, reply, "text/plain"


class FakeEvery8d(FakeProvider):
    """`/API21/HTTP/sendSMS.ashx` and `getDeliveryStatus.ashx`. Behaviours: ok, down, error:<-code>,
    accept_then_hang (sends the SMS, then answers too late for the client's timeout)."""

    def reset(self) -> None:
        super().reset()
        self.status: dict[str, str] = {}
        self.phones: dict[str, str] = {}

    def handle(self, method, path, query, form, headers):
        self.requests.append((path, form))
        if form.get("UID") != EVERY8D_UID or form.get("PWD") != EVERY8D_PASSWORD:
            return 200, "-101,密碼錯誤", "text/plain"
        if path.endswith("getDeliveryStatus.ashx"):
            batch = form.get("BID", "")
            if batch not in self.status:
                return 200, "-1,查無資料", "text/plain"
            return 200, f"1\n\t{self.phones[batch]}\t2026/11/25 10:00:00\t1\t{self.status[batch]}\n", "text/plain"
        if path.endswith("getCredit.ashx"):
            return 200, f"{self.balance}.0", "text/plain"
        if not path.endswith("sendSMS.ashx"):
            return 404, "not found", "text/plain"
        behaviour = self.next_behaviour()
        time.sleep(self.latency)
        if behaviour == "down":
            return 503, "Service Unavailable", "text/html"
        if behaviour.startswith("error:"):
            return 200, f"{behaviour[6:]},錯誤", "text/plain"
        if not form.get("MSG"):
            return 200, "-24,簡訊內容為空", "text/plain"
        batch = str(uuid.uuid4())
        with self.lock:
            self.status[batch] = "0"
            self.phones[batch] = form["DEST"]
            self.handset[form["DEST"]] += 1
            self.balance -= 1
        if behaviour == "accept_then_hang":
            time.sleep(4)
        return 200, f"{self.balance}.0,1,1.0,0,{batch}", "text/plain"


class FakeTwilio(FakeProvider):
    """The Messages resource of the 2010-04-01 API with HTTP basic auth and JSON replies."""

    def reset(self) -> None:
        super().reset()
        self.messages: dict[str, dict] = {}
        self.unsubscribed: set[str] = set()

    def _resource(self, sid: str) -> dict:
        return self.messages[sid]

    def handle(self, method, path, query, form, headers):
        self.requests.append((path, form))
        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if headers.get("Authorization") != expected:
            return 401, json.dumps({"code": 20003, "message": "Authenticate", "status": 401}), "application/json"
        prefix = f"/2010-04-01/Accounts/{TWILIO_SID}/Messages"
        if method == "POST" and path == prefix + ".json":
            behaviour = self.next_behaviour()
            time.sleep(self.latency)
            if behaviour == "down":
                return 503, "{}", "application/json"
            if form.get("To") in self.unsubscribed:
                error = {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}
                return 400, json.dumps(error), "application/json"
            sid = "SM" + uuid.uuid4().hex
            now = datetime.datetime.now(datetime.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
            resource = {
                "sid": sid,
                "account_sid": TWILIO_SID,
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "status": "queued",
                "num_segments": "1",
                "date_created": now,
                "date_updated": now,
                "date_sent": now,
                "error_code": None,
                "uri": f"{prefix}/{sid}.json",
            }
            with self.lock:
                self.messages[sid] = resource
                self.handset[form.get("To", "")] += 1
            return 201, json.dumps(resource), "application/json"
        if method == "GET" and path == prefix + ".json":
            found = [item for item in self.messages.values() if item["to"] == query.get("To")]
            page = {"messages": found, "next_page_uri": None, "page": 0, "page_size": 50, "uri": path}
            return 200, json.dumps(page), "application/json"
        if method == "GET" and path.startswith(prefix + "/"):
            sid = path.rsplit("/", 1)[-1].removesuffix(".json")
            if sid not in self.messages:
                return 404, json.dumps({"code": 20404, "message": "Not found", "status": 404}), "application/json"
            return 200, json.dumps(self._resource(sid)), "application/json"
        return 404, json.dumps({"code": 20404, "message": "Not found", "status": 404}), "application/json"


def serve_mitake_forever(port_file: str, latency: float, rate_limit_every: int) -> None:
    """Run a fake Mitake until killed, writing its base URL to `port_file` (for the benchmark)."""
    server = FakeMitake()
    server.latency = latency
    server.rate_limit_every = rate_limit_every
    with open(port_file, "w", encoding="utf-8") as handle:
        handle.write(server.base_url)
    server.thread.join()
