"""Locust users: drivers' phones working their routes through the sync API.

Each phone keeps its own log of the actions it made (what the server must end up holding exactly once).
A phone retries a batch the server did not answer (connection refused, 5xx, 429) with backoff: that
retry is the same user request for availability. Some phones go offline for a spell and then flush,
some resend a batch whose answer they "lost", a few have skewed clocks; every batch carries GPS points.
"""

import datetime
import random
import time
import uuid
from dataclasses import dataclass, field

from locust import HttpUser, task

RETRY_FOR_SECONDS = 120  # a phone keeps its queue until the server takes it (far beyond the longest fault)
BATCH = 10


@dataclass
class UserRequest:
    kind: str
    started: float
    ended: float
    ok: bool
    attempts: int
    statuses: list[int] = field(default_factory=list)


@dataclass
class Shared:
    devices: list[dict]
    requests: list[UserRequest] = field(default_factory=list)
    errors: list[tuple[float, str, int, str]] = field(default_factory=list)  # time, kind, status, cause
    logs: dict[str, list[dict]] = field(default_factory=dict)  # device token -> actions it made
    resent: int = 0
    offline_spell_seconds: float = 20.0
    pace: float = 2.0


SHARED: Shared | None = None  # set by the runner before the users spawn


class DriverPhone(HttpUser):
    def wait_time(self) -> float:  # routes spread over the day: one push per `pace` seconds
        return SHARED.pace

    def on_start(self) -> None:
        shared = SHARED
        self.device = shared.devices.pop()
        self.log = shared.logs.setdefault(self.device["token"], [])
        self.headers = {"Authorization": f"Device {self.device['token']}"}
        self.pending = list(self.device["stops"])
        self.seq = 0
        self.point_seq = 0
        self.clock_skew = random.choice([0] * 18 + [900, -1800])  # seconds; a few phones run wrong clocks
        self.offline_until = 0.0

    def phone_now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=self.clock_skew)

    @task
    def work(self) -> None:
        if not self.pending and not self.unsent():
            return
        for stop_id in self.pending[: BATCH // 2]:  # deliveries since the last push
            self.seq += 1
            self.log.append(
                {
                    "id": str(uuid.uuid4()),
                    "seq": self.seq,
                    "type": "complete",
                    "stop": stop_id,
                    "base_version": 1,
                    "occurred_at": self.phone_now().isoformat(),
                    "payload": {"cash_collected": 950, "empties_collected": 1},
                    "sent": False,
                }
            )
        del self.pending[: BATCH // 2]
        if time.time() < self.offline_until:
            return
        if random.random() < 0.01:  # out of coverage: keep working, flush later
            self.offline_until = time.time() + SHARED.offline_spell_seconds * random.uniform(0.5, 1.5)
            return
        self.push_points()
        while self.unsent():
            batch = self.unsent()[:BATCH]
            if not self.push(batch):
                return
            for action in batch:
                action["sent"] = True
            if random.random() < 0.05:  # the answer was lost on the way: the phone sends the batch again
                SHARED.resent += 1
                self.push(batch)

    def unsent(self) -> list[dict]:
        return [action for action in self.log if not action["sent"]]

    def push(self, batch: list[dict]) -> bool:
        body = {
            "sent_at": self.phone_now().isoformat(),
            "actions": [{key: value for key, value in action.items() if key != "sent"} for action in batch],
        }
        return self.request("sync", "/api/v1/driver/sync", body, lambda data: len(data["results"]) == len(batch))

    def push_points(self) -> None:
        points = []
        for _index in range(5):
            self.point_seq += 1
            points.append(
                {
                    "seq": self.point_seq,
                    "latitude": f"{25.03 + random.uniform(-0.05, 0.05):.6f}",
                    "longitude": f"{121.56 + random.uniform(-0.05, 0.05):.6f}",
                    "accuracy_m": 8,
                    "recorded_at": self.phone_now().isoformat(),
                }
            )
        self.request("locations", "/api/v1/driver/locations", {"points": points}, lambda data: "stored" in data)

    def request(self, kind: str, path: str, body: dict, valid) -> bool:
        began = time.time()
        statuses: list[int] = []
        delay = 0.5
        while True:
            with self.client.post(
                path, json=body, headers=self.headers, name=kind, catch_response=True, timeout=30
            ) as response:
                status = response.status_code or 0
                statuses.append(status)
                if status == 200 and valid(response.json()):
                    response.success()
                    SHARED.requests.append(UserRequest(kind, began, time.time(), True, len(statuses), statuses))
                    return True
                cause = (response.text or str(response.error) or "")[:200].replace("\n", " ")
                response.failure(f"{status} {cause}")
                if status >= 500 or status in (0, 429):
                    SHARED.errors.append((time.time(), kind, status, cause))
                if (status and status < 500 and status != 429) or time.time() - began > RETRY_FOR_SECONDS:
                    SHARED.requests.append(UserRequest(kind, began, time.time(), False, len(statuses), statuses))
                    return False
            time.sleep(delay)
            delay = min(delay * 2, 8)
