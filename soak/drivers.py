"""Locust users: drivers' phones working their routes through the sync API.

Each phone keeps its own log of the actions it made (what the server must end up holding exactly once) and of
the answer each got. A phone reads its route first (which tells the server the phone holds those stops), retries
a batch the server did not answer (connection refused, 5xx, 429) with backoff: that retry is the same user
request for availability. Some phones go offline for a spell and then flush, some resend a batch whose answer
they "lost", a few have skewed clocks; every batch carries GPS points. Some deliveries come with a photo (proof
of delivery), declared by an attach_media action and uploaded once that action is acknowledged, as the driver
app does (offline_sync/static/offline_sync/js/sync.js `uploadMedia`); a few uploads are sent twice.
"""

import datetime
import hashlib
import io
import os
import random
import time
import uuid
import zoneinfo
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
    photo_share: float = 0.3  # deliveries that come with a photo
    photos: list[dict] = field(default_factory=list)  # media_id, action, stop, sha256, uploaded (acknowledged)
    photo_resent: int = 0
    stops: dict[int, str] = field(default_factory=dict)  # stop -> what its phone knows: queued, applied, …
    database_url: str = ""
    media_root: str = ""

    def progress(self, stop_id: int) -> str:
        """pending (its phone has not delivered it yet), queued (delivered, not yet pushed), or the push's result."""
        return self.stops.get(stop_id, "pending")


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
        self.photos: list[dict] = []  # this phone's photos waiting for their upload
        self.read_route()

    def read_route(self) -> None:
        """The day's route, as the app reads it at the start of the day (the server notes the stops it handed)."""
        today = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Taipei")).date().isoformat()
        self.request(
            "route", f"/api/v1/driver/route?date={today}", None, lambda data: data["route"] is not None, method="GET"
        )

    def phone_now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=self.clock_skew)

    @task
    def work(self) -> None:
        if not self.pending and not self.unsent():
            return
        for stop_id in self.pending[: BATCH // 2]:  # deliveries since the last push
            self.deliver(stop_id)
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
        self.upload_photos()

    def deliver(self, stop_id: int) -> None:
        """A delivery recorded on the phone: the complete action, and now and then a photo bound to it."""
        occurred_at = self.phone_now().isoformat()
        base = {"stop": stop_id, "base_version": 1, "occurred_at": occurred_at, "sent": False}
        self.seq += 1
        self.log.append(
            {
                "id": str(uuid.uuid4()),
                "seq": self.seq,
                "type": "complete",
                **base,
                "payload": {"cash_collected": 950, "empties_collected": 1},
            }
        )
        SHARED.stops[stop_id] = "queued"
        if random.random() < SHARED.photo_share:
            data = photo_bytes()
            photo = {"media_id": str(uuid.uuid4()), "sha256": hashlib.sha256(data).hexdigest(), "stop": stop_id}
            self.seq += 1
            action_id = str(uuid.uuid4())
            self.log.append(
                {
                    "id": action_id,
                    "seq": self.seq,
                    "type": "attach_media",
                    **base,
                    "payload": {"media_id": photo["media_id"], "kind": "photo", "sha256": photo["sha256"]},
                }
            )
            SHARED.photos.append({**photo, "action": action_id, "uploaded": False, "answer": None})
            self.photos.append({**photo, "action": action_id, "data": data})

    def unsent(self) -> list[dict]:
        return [action for action in self.log if not action["sent"]]

    def push(self, batch: list[dict]) -> bool:
        body = {
            "sent_at": self.phone_now().isoformat(),
            "actions": [
                {key: value for key, value in action.items() if key not in ("sent", "result")} for action in batch
            ],
        }

        def acknowledged(data: dict) -> bool:
            if len(data["results"]) != len(batch):
                return False
            for action, result in zip(batch, data["results"], strict=True):
                # A resent action answers `duplicate` with the result it first got.
                action.setdefault("result", result.get("first_result", result["result"]))
                if action["type"] == "complete":
                    SHARED.stops[action["stop"]] = action["result"]
            return True

        return self.request("sync", "/api/v1/driver/sync", body, acknowledged)

    def upload_photos(self) -> None:
        """The bytes of each photo whose attach_media action the server acknowledged (taken, kept or refused)."""
        for photo in [photo for photo in self.photos if self.acknowledged(photo["action"])]:
            self.photos.remove(photo)
            record = next(item for item in SHARED.photos if item["media_id"] == photo["media_id"])
            headers = {"Content-Type": "image/jpeg", "X-Content-SHA256": photo["sha256"]}
            path = f"/api/v1/driver/media/{photo['media_id']}"

            def stored(data: dict) -> bool:
                return data.get("uploaded") is True

            if self.request("photo", path, photo["data"], stored, method="PUT", headers=headers, ok=(200, 201)):
                record["uploaded"] = True
                if random.random() < 0.05:  # the answer was lost: the phone uploads the same bytes again
                    SHARED.photo_resent += 1
                    self.request("photo", path, photo["data"], stored, method="PUT", headers=headers, ok=(200, 201))

    def acknowledged(self, action_id: str) -> bool:
        return any(action["id"] == action_id and action["sent"] for action in self.log)

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

    def request(
        self,
        kind: str,
        path: str,
        body,
        valid,
        *,
        method: str = "POST",
        headers: dict | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> bool:
        began = time.time()
        statuses: list[int] = []
        delay = 0.5
        sent = {"json": body} if isinstance(body, dict) else {"data": body}
        while True:
            with self.client.request(
                method,
                path,
                **sent,
                headers={**self.headers, **(headers or {})},
                name=kind,
                catch_response=True,
                timeout=30,
            ) as response:
                status = response.status_code or 0
                statuses.append(status)
                if status in ok and valid(response.json()):
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


def photo_bytes() -> bytes:
    """A small JPEG, different every time (noise), as a phone's camera gives after the app shrinks it."""
    from PIL import Image

    image = Image.frombytes("RGB", (64, 48), os.urandom(64 * 48 * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
