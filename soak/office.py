"""Office clerks in the soak: the admin's own HTTP forms, behind the TLS ingress as in production.

Each clerk logs in through /admin/login/ (CSRF and all; the requests say they came through the ingress, so the
cookies are Secure and carried by hand), then all day: enters orders for the office's customers through the order
add form and its lines formset (and now and then submits the same form twice, as after an answer lost on the way),
cancels some of them and some orders already on a driver's route (the order list's cancel action), moves stops to
another driver's route (the stop list's move action and its intermediate form), tries the same on stops a driver
already delivered (which must be refused), and works the sync conflict queue with the conflict page's resolve
buttons. A clerk reads the message the admin shows after each form (success or error), as a person does.

Each form is one user request for availability: a retry after no answer, a 5xx or a 429 is the same request.
"""

import collections
import datetime
import random
import re
import time
import uuid
import zoneinfo
from dataclasses import dataclass, field
from html.parser import HTMLParser

from locust import HttpUser, task

from soak import drivers

CLERK = "soak-clerk"
PASSWORD = "soak-clerk-password"
CUSTOMERS = 12  # the office's own customers, beside the drivers' day
RETRY_FOR_SECONDS = 120
MARK = "soak-office"

# Before the day: the clerk (office role) and the customers the office takes phone orders for.
CREATE_CLERK = f"""
import django
django.setup()
from django.contrib.auth.models import Group, User
from luckygas.delivery import roles
from luckygas.delivery.models import Customer
user, _ = User.objects.get_or_create(username={CLERK!r}, defaults={{"is_staff": True}})
user.set_password({PASSWORD!r})
user.save()
user.groups.add(Group.objects.get(name=roles.OFFICE))
for index in range({CUSTOMERS}):
    Customer.objects.get_or_create(
        code=f"OFC{{index:03d}}",
        defaults={{"short_name": f"門市客戶{{index}}", "phone": f"+88692000{{index:04d}}", "city": "臺北市",
                  "district": "信義區", "address": f"松仁路{{index}}號"}},
    )
"""


@dataclass
class OfficeLog:
    """What the clerks did and what the admin told them, for the invariants."""

    routes: list[dict] = field(default_factory=list)  # the drivers' routes: id and stops [(stop, order)] in order
    created: dict[str, dict] = field(default_factory=dict)  # marker -> {"answered": bool, "lines": int}
    resent_forms: int = 0
    cancels: list[dict] = field(default_factory=list)  # {"order", "stop", "outcome", "message", "delivered"}
    moves: list[dict] = field(default_factory=list)  # {"stop", "route", "from", "outcome", "message", "delivered"}
    resolutions: list[dict] = field(default_factory=list)  # {"conflict", "resolution", "outcome", "message"}
    reserved: set[int] = field(default_factory=set)  # stops set aside for the office's changes


OFFICE: OfficeLog | None = None  # set by the runner before the users spawn


def load_routes(database_url: str) -> list[dict]:
    """The day's routes as the office sees them in the stop list (read once by the harness, as a clerk's screen)."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT s.route_id, s.id, s.order_id FROM delivery_routestop s ORDER BY s.route_id, s.sequence"
        ).fetchall()
    routes: dict[int, list[tuple[int, int]]] = {}
    for route_id, stop_id, order_id in rows:
        routes.setdefault(route_id, []).append((stop_id, order_id))
    return [{"id": route_id, "stops": stops} for route_id, stops in routes.items()]


class FormParser(HTMLParser):
    """The fields a browser would submit with each form of a page (first submit button not included)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.select: str | None = None
        self.textarea: str | None = None
        self.messages: list[tuple[str, str]] = []
        self.message_class: str | None = None
        self.checkboxes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": attributes.get("action", ""), "fields": {}, "options": {}})
        elif tag == "li" and attributes.get("class") in ("success", "error", "warning", "info"):
            self.message_class = attributes["class"]
            self.messages.append((self.message_class, ""))
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind == "checkbox" and name == "_selected_action":
                self.checkboxes.append(attributes.get("value", ""))
            elif kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    fields[name] = attributes.get("value", "on")
            elif kind not in ("submit", "button", "image", "file"):
                fields[name] = attributes.get("value", "")
        elif tag == "select" and name:
            self.select = name
            fields.setdefault(name, "")
            self.forms[-1]["options"][name] = []
        elif tag == "option" and self.select:
            value = attributes.get("value", "")
            self.forms[-1]["options"][self.select].append(value)
            if "selected" in attributes:
                fields[self.select] = value
        elif tag == "textarea" and name:
            self.textarea = name
            fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "li":
            self.message_class = None

    def handle_data(self, data: str) -> None:
        if self.textarea and self.forms:
            self.forms[-1]["fields"][self.textarea] += data
        if self.message_class and self.messages:
            kind, text = self.messages[-1]
            self.messages[-1] = (kind, (text + data).strip())


def parse(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


class Refused(Exception):
    """The admin answered for good with something the clerk did not expect (a 4xx, a form shown again)."""


class AdminBrowser(HttpUser):
    """A staff member's browser on the admin and the dashboard, behind the TLS ingress: logs in through the
    admin's form, carries its Secure cookies by hand, follows redirects itself, reads the messages shown."""

    abstract = True
    username = ""
    password = ""

    def on_start(self) -> None:
        self.cookies: dict[str, str] = {}
        self.origin = self.host.replace("http://", "https://")
        self.log_in()

    # --- HTTP, as a browser behind the ingress ------------------------------------------------------------

    def absorb_cookies(self, response) -> None:
        raw = getattr(response, "raw", None)
        headers = raw.headers.getlist("Set-Cookie") if raw is not None and hasattr(raw, "headers") else []
        for header in headers:
            name, _sep, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or value in ("", '""'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        self.client.cookies.clear()  # Secure cookies are carried by hand: the jar would not send them over http

    def send(self, method: str, path: str, kind: str, data: dict | list | None = None, referer: str = "/admin/"):
        """One HTTP attempt; returns the response (status 0 when there was no answer)."""
        headers = {
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
        }
        if method == "POST":
            headers.update({"Origin": self.origin, "Referer": f"{self.origin}{referer}"})
        with self.client.request(
            method,
            path,
            data=data,
            headers=headers,
            name=kind,
            allow_redirects=False,
            catch_response=True,
            timeout=30,
        ) as response:
            self.absorb_cookies(response)
            status = response.status_code or 0
            if status >= 500 or status in (0, 429):
                cause = (response.text or str(response.error) or "")[:200].replace("\n", " ")
                response.failure(f"{status} {cause}")
                drivers.SHARED.errors.append((time.time(), kind, status, cause))
            else:
                response.success()
            return response

    def user_request(self, kind: str, steps) -> object:
        """Run `steps(attempt)` until it gets an answer: no answer, a 5xx or a 429 is tried again (the same
        request for availability); `Refused` ends it as a failed request; anything else it returns is success."""
        began = time.time()
        statuses: list[int] = []
        delay = 0.5
        while True:
            try:
                result = steps(statuses)
            except Refused as refusal:
                drivers.SHARED.requests.append(
                    drivers.UserRequest(kind, began, time.time(), False, len(statuses), statuses)
                )
                drivers.SHARED.errors.append((time.time(), kind, statuses[-1] if statuses else 0, str(refusal)[:200]))
                return None
            if result is not None:
                drivers.SHARED.requests.append(
                    drivers.UserRequest(kind, began, time.time(), True, len(statuses), statuses)
                )
                return result
            if time.time() - began > RETRY_FOR_SECONDS:
                drivers.SHARED.requests.append(
                    drivers.UserRequest(kind, began, time.time(), False, len(statuses), statuses)
                )
                return None
            time.sleep(delay)
            delay = min(delay * 2, 8)

    def answered(self, response, statuses: list[int]) -> bool:
        statuses.append(response.status_code or 0)
        return not (response.status_code >= 500 or response.status_code in (0, 429))

    def get_page(self, path: str, kind: str, statuses: list[int]):
        """GET a page; None when it must be tried again; logs in again when the session is gone."""
        response = self.send("GET", path, kind)
        if not self.answered(response, statuses):
            return None
        if response.status_code == 302 and "/admin/login/" in response.headers.get("Location", ""):
            self.log_in()
            return None
        if response.status_code != 200:
            raise Refused(f"GET {path}: {response.status_code}")
        return response

    def follow(self, response, kind: str, statuses: list[int]) -> list[tuple[str, str]] | None:
        """The page a form redirected to, and the messages it shows; None if it must be read again."""
        location = response.headers.get("Location", "")
        if not location.startswith("/"):
            raise Refused(f"redirected to {location!r}")
        page = self.send("GET", location, kind)
        if not self.answered(page, statuses):
            return [("unknown", "the page after the form did not load")]
        return parse(page.text).messages

    def log_in(self) -> None:
        def steps(statuses: list[int]):
            self.cookies.clear()
            page = self.send("GET", "/admin/login/", "login")
            if not self.answered(page, statuses):
                return None
            token = parse(page.text).forms[-1]["fields"]["csrfmiddlewaretoken"]
            answer = self.send(
                "POST",
                "/admin/login/?next=/admin/",
                "login",
                {"csrfmiddlewaretoken": token, "username": self.username, "password": self.password, "next": "/admin/"},
                referer="/admin/login/",
            )
            if not self.answered(answer, statuses):
                return None
            if answer.status_code != 302 or "sessionid" not in self.cookies:
                raise Refused(f"login: {answer.status_code}")
            return True

        self.user_request("login", steps)


class OfficeClerk(AdminBrowser):
    """A clerk working the admin all day."""

    fixed_count = 1
    pace = 6.0  # seconds between two rounds of work (each round is some ten admin pages)
    username = CLERK
    password = PASSWORD

    def wait_time(self) -> float:
        return self.pace * random.uniform(0.5, 1.5)

    def on_start(self) -> None:
        self.mine: list[int] = []  # pending orders this clerk entered (ids), some to cancel
        self.rounds = 0
        super().on_start()

    @task
    def work(self) -> None:
        self.rounds += 1
        self.create_order()
        if self.mine and self.rounds % 2 == 0:
            self.cancel_orders([self.mine.pop(0)], stop=None, delivered=False)
        late = self.late_stops()
        if late:
            stop_id, order_id, route = late
            if self.rounds % 2:
                self.cancel_orders([order_id], stop=stop_id, delivered=False)
            else:
                self.move_stop(stop_id, route)
        if self.rounds % 3 == 0:
            done = self.delivered_stop()
            if done:
                stop_id, order_id, route = done
                if self.rounds % 2:
                    self.cancel_orders([order_id], stop=stop_id, delivered=True)
                else:
                    self.move_stop(stop_id, route, delivered=True)
        self.resolve_conflicts()

    def late_stops(self) -> tuple[int, int, dict] | None:
        """A stop two or three deliveries' pushes ahead of its driver: the office changes it first, and the
        phone, which has not pulled the change, delivers it soon after (a conflict for the queue)."""
        office, progress = OFFICE, drivers.SHARED.progress
        for route in random.sample(office.routes, len(office.routes)):
            stops = route["stops"]
            ahead = next(
                (index for index, (stop_id, _order) in enumerate(stops) if progress(stop_id) == "pending"), None
            )
            if ahead is None:
                continue
            for stop_id, order_id in stops[ahead + drivers.BATCH : ahead + 2 * drivers.BATCH]:
                if stop_id not in office.reserved and progress(stop_id) == "pending":
                    office.reserved.add(stop_id)
                    return stop_id, order_id, route
        return None

    def delivered_stop(self) -> tuple[int, int, dict] | None:
        """A stop whose delivery the server acknowledged: the office's change must be refused."""
        office = OFFICE
        for route in random.sample(office.routes, len(office.routes)):
            for stop_id, order_id in route["stops"][:10]:
                if stop_id not in office.reserved and drivers.SHARED.progress(stop_id) == "applied":
                    office.reserved.add(stop_id)
                    return stop_id, order_id, route
        return None

    def create_order(self) -> None:
        marker = f"{MARK}:{uuid.uuid4()}"
        code = f"OFC{random.randrange(CUSTOMERS):03d}"
        lines = random.randint(1, 2)
        OFFICE.created[marker] = {"answered": False, "lines": lines}
        form: dict = {}

        def steps(statuses: list[int]):
            if not form:  # the form is read once; a retry submits the same form again, as a browser does
                page = self.get_page("/admin/delivery/order/add/", "office-create", statuses)
                if page is None:
                    return None
                found = self.send(
                    "GET",
                    f"/admin/autocomplete/?term={code}&app_label=delivery&model_name=order&field_name=customer",
                    "office-create",
                )
                if not self.answered(found, statuses):
                    return None
                results = found.json()["results"]
                if not results:
                    raise Refused(f"no customer {code}")
                add = next(item for item in parse(page.text).forms if "lines-TOTAL_FORMS" in item["fields"])
                fields = dict(add["fields"])
                products = [value for value in add["options"]["lines-0-product"] if value]
                tomorrow = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Taipei")).date() + datetime.timedelta(days=1)
                fields.update(
                    {
                        "customer": results[0]["id"],
                        "delivery_date": tomorrow.isoformat(),
                        "notes": marker,
                        "lines-TOTAL_FORMS": str(lines),
                        "_save": "1",
                    }
                )
                for index in range(lines):
                    fields[f"lines-{index}-product"] = products[index % len(products)]
                    fields[f"lines-{index}-quantity"] = str(random.randint(1, 3))
                form.update(fields)
            answer = self.send(
                "POST", "/admin/delivery/order/add/", "office-create", form, "/admin/delivery/order/add/"
            )
            if not self.answered(answer, statuses):
                return None
            if answer.status_code != 302:
                errors = re.findall(r'class="errorlist[^>]*>(.*?)</ul>', answer.text, re.S)
                raise Refused(f"order form refused: {answer.status_code} {errors[:2]}")
            if random.random() < 0.1:  # the answer was lost on the way: the clerk submits the same form again
                OFFICE.resent_forms += 1
                again = self.send(
                    "POST", "/admin/delivery/order/add/", "office-create", form, "/admin/delivery/order/add/"
                )
                OFFICE.created[marker]["resent"] = again.status_code
            self.follow(answer, "office-create", statuses)
            return True

        if self.user_request("office-create", steps):
            OFFICE.created[marker]["answered"] = True
            order_id = self.find_order(marker)
            if order_id:
                self.mine.append(order_id)

    def find_order(self, marker: str) -> int | None:
        """The id of the order just entered, for cancelling it later (a clerk sees it at the top of the order list;
        the harness reads it from the database by the marker in its notes)."""
        import psycopg

        with psycopg.connect(drivers.SHARED.database_url) as connection:
            row = connection.execute(
                "SELECT id FROM delivery_order WHERE notes = %s ORDER BY id LIMIT 1", [marker]
            ).fetchone()
        return row[0] if row else None

    def changelist_action(self, kind: str, path: str, action: str, selected: list[int], choose=None) -> list:
        """Select rows in a list and run an action; an action with an intermediate form gets it filled by
        `choose(fields, options)` and applied. Returns the messages the admin shows afterwards."""

        def steps(statuses: list[int]):
            page = self.get_page(path, kind, statuses)
            if page is None:
                return None
            changelist = next(item for item in parse(page.text).forms if "action" in item["fields"])
            data: list | dict = [
                ("csrfmiddlewaretoken", changelist["fields"]["csrfmiddlewaretoken"]),
                ("action", action),
                ("index", "0"),
                *(("_selected_action", str(pk)) for pk in selected),
            ]
            answer = self.send("POST", path, kind, data, path)
            if not self.answered(answer, statuses):
                return None
            if answer.status_code == 200 and choose is not None:  # the action's own form
                intermediate = next(item for item in parse(answer.text).forms if item["fields"].get("action") == action)
                data = {
                    **intermediate["fields"],
                    **choose(intermediate["fields"], intermediate["options"]),
                    "apply": "1",
                }
                answer = self.send("POST", path, kind, data, path)
                if not self.answered(answer, statuses):
                    return None
            if answer.status_code == 200:  # a form shown again: its errors
                errors = re.findall(r'class="errorlist[^>]*>(.*?)</ul>', answer.text, re.S)
                return [("error", f"form shown again: {errors[:2]}")]
            if answer.status_code != 302:
                raise Refused(f"{action}: {answer.status_code}")
            return self.follow(answer, kind, statuses)

        return self.user_request(kind, steps) or []

    def cancel_orders(self, orders: list[int], *, stop: int | None, delivered: bool) -> None:
        shown = self.changelist_action("office-cancel", "/admin/delivery/order/", "cancel_orders", orders, {})
        OFFICE.cancels.append({"order": orders[0], "stop": stop, "delivered": delivered, **outcome(shown)})

    def move_stop(self, stop_id: int, route: dict, *, delivered: bool = False) -> None:
        chosen: dict = {}

        def choose(fields: dict, options: dict) -> dict:
            routes = [int(value) for value in options.get("route", []) if value and int(value) != route["id"]]
            chosen["route"] = random.choice(routes) if routes else None
            return {"route": str(chosen["route"] or "")}

        shown = self.changelist_action("office-move", "/admin/delivery/routestop/", "reassign_stops", [stop_id], choose)
        OFFICE.moves.append(
            {
                "stop": stop_id,
                "route": chosen.get("route"),
                "from": route["id"],
                "delivered": delivered,
                **outcome(shown),
            }
        )

    def resolve_conflicts(self, limit: int = 4) -> None:
        """The queue, a reason at a time: a moved stop's delivery is the driver's word (apply it); a cancelled
        stop stays cancelled (keep the office's)."""
        for reason, resolution in (("reassigned", "apply_driver"), ("cancelled", "keep_office")):
            listing = self.user_request(
                "office-conflicts",
                lambda statuses, reason=reason: self.get_page(
                    f"/admin/offline_sync/syncconflict/?status__exact=open&reason={reason}",
                    "office-conflicts",
                    statuses,
                ),
            )
            if listing is None:
                continue
            for conflict_id in parse(listing.text).checkboxes[:limit]:
                self.resolve(int(conflict_id), resolution)

    def resolve(self, conflict_id: int, resolution: str) -> None:
        change = f"/admin/offline_sync/syncconflict/{conflict_id}/change/"

        def steps(statuses: list[int]):
            page = self.get_page(change, "office-resolve", statuses)
            if page is None:
                return None
            form = next((item for item in parse(page.text).forms if "resolution_note" in item["fields"]), None)
            if form is None:  # shown read-only: resolved meanwhile
                return [("info", "already resolved")]
            fields = form["fields"]
            data = {
                "csrfmiddlewaretoken": fields["csrfmiddlewaretoken"],
                "resolution_note": "soak: checked with the driver",
                "resolution": resolution,
            }
            answer = self.send(
                "POST", f"/admin/offline_sync/syncconflict/{conflict_id}/resolve/", "office-resolve", data, change
            )
            if not self.answered(answer, statuses):
                return None
            if answer.status_code != 302:
                raise Refused(f"resolve: {answer.status_code}")
            return self.follow(answer, "office-resolve", statuses)

        shown = self.user_request("office-resolve", steps) or []
        OFFICE.resolutions.append({"conflict": conflict_id, "resolution": resolution, **outcome(shown)})


def outcome(messages: list[tuple[str, str]]) -> dict:
    """What the admin told the clerk: success when every message was a success."""
    if not messages:
        return {"outcome": "unknown", "message": ""}
    kinds = {kind for kind, _text in messages}
    return {
        "outcome": "success" if kinds == {"success"} else "refused",
        "message": " / ".join(t for _k, t in messages)[:200],
    }


def check(database_url: str, office: OfficeLog) -> list[tuple[str, bool, str]]:
    import psycopg

    markers = list(office.created)
    with psycopg.connect(database_url) as connection:
        orders = connection.execute(
            "SELECT o.notes, o.id, o.status, count(l.id) FROM delivery_order o "
            "LEFT JOIN delivery_orderline l ON l.order_id = o.id WHERE o.notes = ANY(%s) GROUP BY o.id",
            [markers],
        ).fetchall()
        order_ids = [item["order"] for item in office.cancels]
        order_status = dict(
            connection.execute("SELECT id, status FROM delivery_order WHERE id = ANY(%s)", [order_ids]).fetchall()
        )
        stop_ids = [item["stop"] for item in [*office.cancels, *office.moves] if item["stop"]]
        stops = {
            stop_id: (route_id, status)
            for stop_id, route_id, status in connection.execute(
                "SELECT id, route_id, status FROM delivery_routestop WHERE id = ANY(%s)", [stop_ids]
            ).fetchall()
        }
        conflicts = {
            conflict_id: (status, resolution)
            for conflict_id, status, resolution in connection.execute(
                "SELECT id, status, resolution FROM offline_sync_syncconflict"
            ).fetchall()
        }
        reasons = collections.Counter(
            f"{reason} {status}"
            for reason, status in connection.execute("SELECT reason, status FROM offline_sync_syncconflict").fetchall()
        )
    per_marker = collections.Counter(notes for notes, *_rest in orders)
    lines = {notes: count for notes, _id, _status, count in orders}
    answered = [marker for marker, item in office.created.items() if item["answered"]]
    missing = [marker for marker in answered if per_marker[marker] == 0]
    doubled = [marker for marker, count in per_marker.items() if count > 1]
    wrong_lines = [marker for marker in per_marker if lines[marker] != office.created[marker]["lines"]]

    def cancel_problem(item: dict) -> str:
        status = order_status.get(item["order"])
        stop = stops.get(item["stop"]) if item["stop"] else None
        if item["delivered"]:  # the driver had delivered it: refused, nothing changed
            if item["outcome"] == "success" or status != "delivered" or (stop and stop[1] != "delivered"):
                return f"delivered order {item['order']} now {status}, told {item['outcome']}"
        elif item["outcome"] == "success" and (status != "cancelled" or (stop and stop[1] != "cancelled")):
            return f"order {item['order']} told cancelled, is {status} (stop {stop})"
        return ""

    def move_problem(item: dict) -> str:
        route, status = stops[item["stop"]]
        if item["delivered"]:
            if item["outcome"] == "success" or route != item["from"] or status != "delivered":
                return f"delivered stop {item['stop']} on route {route} now {status}, told {item['outcome']}"
        elif item["outcome"] == "success" and route != item["route"]:
            return f"stop {item['stop']} told moved to {item['route']}, is on {route}"
        return ""

    problems = [text for text in [*map(cancel_problem, office.cancels), *map(move_problem, office.moves)] if text]
    told = collections.Counter(
        f"{kind} {'delivered ' if item['delivered'] else ''}{item['outcome']}"
        for kind, items in (("cancel", office.cancels), ("move", office.moves))
        for item in items
    )
    unresolved = [
        item["conflict"]
        for item in office.resolutions
        if item["outcome"] == "success" and conflicts.get(item["conflict"]) != ("resolved", item["resolution"])
    ]
    resolved = collections.Counter(f"{item['resolution']} {item['outcome']}" for item in office.resolutions)
    return [
        (
            "office: every order the clerks entered exists exactly once, with its lines",
            bool(answered) and not missing and not doubled and not wrong_lines,
            f"{len(office.created)} order forms submitted, {len(answered)} answered, {office.resent_forms} submitted "
            f"twice; {len(per_marker)} orders found, {len(missing)} missing, {len(doubled)} doubled, "
            f"{len(wrong_lines)} with other lines",
        ),
        (
            "office: every cancel and move the admin confirmed took effect; on delivered stops each was refused",
            not problems and bool(office.cancels) and bool(office.moves),
            f"{dict(told)}; {len(problems)} problems {problems[:5]}",
        ),
        (
            "office: every conflict the clerks resolved is resolved as they chose",
            not unresolved and any(item["outcome"] == "success" for item in office.resolutions),
            f"conflicts {dict(reasons)}; resolutions {dict(resolved)}; {len(unresolved)} not as chosen "
            f"{unresolved[:5]}",
        ),
    ]
