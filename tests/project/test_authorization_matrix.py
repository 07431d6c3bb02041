"""Every URL and websocket route × every role × GET and POST, against one table of who may do what (#13).

"Allowed" is any answer but 401/403 or a redirect to the login page; "refused" is one of those,
and a refused POST changes nothing. A URL the resolver serves that the table does not name fails
the test: a new page must say here who may open it. One test per role walks the whole table and
reports every mismatch at once.
"""

import json
import uuid
from dataclasses import dataclass

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.contrib import admin
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dashboard.models import ExportFormat, ExportJob
from luckygas.asgi import application
from luckygas.delivery.models import Driver, Route
from offline_sync.models import MediaUpload
from tests.conftest import ROLES
from tests.delivery.factories import DriverFactory
from tests.offline_sync.factories import phone_for, started_route
from tests.offline_sync.test_media import declare, image_bytes
from tests.project.authorization_table import ADMIN_URLS, ADMINS, STAFF, URLS, WEBSOCKETS, D, M, roles

STANDARD_ADMIN_VIEWS = ("changelist", "add", "history", "delete", "change")


def served_patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, str | None]]:
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            found.extend(served_patterns(pattern, prefix + str(pattern.pattern)))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), pattern.name))
    return found


def admin_model_url(name: str) -> tuple[str, str] | None:
    """(model label, view) for a standard admin URL name, or None."""
    for label in ADMINS:
        app, model = label.split(".")
        for view in STANDARD_ADMIN_VIEWS:
            if name == f"{app}_{model}_{view}":
                return label, view
    return None


def test_every_served_url_and_admin_is_in_the_table():
    missing = []
    for pattern, name in served_patterns():
        if pattern.startswith("admin/") and pattern.endswith("<path:object_id>/") and name is None:
            continue  # the admin's redirect from /<id>/ to /<id>/change/
        key = name or pattern
        if key not in URLS and key not in ADMIN_URLS and not admin_model_url(key):
            missing.append(key)
    registered = {model._meta.label_lower for model in admin.site._registry}
    for label, model_admin in admin.site._registry.items():
        declared = ADMINS.get(label._meta.label_lower)
        names = {name for _function, name, _text in model_admin._get_base_actions()} - {"delete_selected"}
        if declared is None or names != set(declared.actions):
            missing.append(f"{label._meta.label_lower} actions {sorted(names)}")
    assert missing == []
    assert registered == set(ADMINS)


# --- the run --------------------------------------------------------------------------------------


@dataclass
class World:
    """Real objects behind every data-bearing URL, and each role's signed-in client."""

    clients: dict[str, Client]
    users: dict[str, object]
    own_route: Route
    other_route: Route
    own_media: str
    other_media: str
    phone: object
    path_values: dict[str, str]
    pks: dict[str, str]


SMS_TOKEN = "matrix-callback-token"
WATCHED = ("delivery.Order", "delivery.Route", "delivery.RouteStop", "delivery.Customer", "offline_sync.SyncAction")


@pytest.fixture
def world(db, settings, tmp_path, monkeypatch, user_in_role) -> World:
    settings.MEDIA_ROOT = tmp_path
    settings.LANGUAGE_CODE = "en"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setenv("SMS_CALLBACK_TOKEN", SMS_TOKEN)
    # The consumers' database calls run on this test's connection (its transaction holds the data):
    # channels must not close it between calls as it would between a server's requests.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    call_command("seed_demo", customers=5, orders=10, force=True)
    users = {role: user_in_role(role) for role in ROLES}
    own_driver = Driver.objects.get(user=users[D])
    other_driver = DriverFactory(name="林志豪")
    own_route, other_route = started_route(own_driver, stops=2), started_route(other_driver, stops=2)
    phone, other_phone = phone_for(own_driver), phone_for(other_driver)
    own_media = declare(phone, own_route.stops.first(), image_bytes())
    other_media = declare(other_phone, other_route.stops.first(), image_bytes())
    job = ExportJob.objects.create(requested_by=users[M], report="executive", export_format=ExportFormat.XLSX)
    customer = own_route.stops.first().order.customer
    from django.contrib.contenttypes.models import ContentType

    from dashboard.metrics import METRICS

    pks = {}
    for model in admin.site._registry:
        first = model.objects.order_by("pk").first()
        pks[model._meta.label_lower] = str(first.pk) if first is not None else MISSING
    path_values = {
        "media_id": own_media,
        "token": SMS_TOKEN,
        "report_name": "executive",
        "export_format": "xlsx",
        "job_id": str(job.pk),
        "name": next(iter(METRICS)),
        "content_type_id": str(ContentType.objects.get_for_model(customer).pk),
        "object_id": str(customer.pk),
        "provider": "mitake",
        "file_format": "pdf",
        "plan_id": MISSING,  # no plan in the demo: an allowed role's 404 is skipped, a refused one's 403 is checked
    }
    clients = {}
    for role in ROLES:
        headers = {"Authorization": f"Device {phone.token}"} if role == D else {}
        client = Client(raise_request_exception=False, headers=headers)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        clients[role] = client
    return World(clients, users, own_route, other_route, own_media, other_media, phone, path_values, pks)


def concrete_path(pattern: str, values: dict[str, str]) -> str:
    import re

    if pattern.startswith("admin/^(?P<app_label>"):
        return "/admin/delivery/"
    if pattern == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], pattern)


def is_refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    chain = getattr(response, "redirect_chain", None)
    location = chain[0][0] if chain else (response.get("Location", "") if response.status_code == 302 else "")
    return "/login" in location


MISSING = "999999"


def action_refused(client, response) -> bool:
    """Whether the admin refused to run the action.

    Django refuses an action the user may not run in one of two ways: with no action at all
    available it shows the changelist again (200), else it redirects back with the warning "No
    action selected.". An action that ran answers with its own page (a confirmation, a form) or
    redirects with its own message.
    """
    from django.utils import translation

    if response.status_code == 200:
        return "admin/change_list.html" in {template.name for template in response.templates}
    if response.status_code != 302:
        return False
    followed = client.get(response["Location"])
    shown = {str(message) for message in (followed.context or {}).get("messages", [])}
    refusals = set()
    for language in ("en", "zh-hant"):
        with translation.override(language):
            refusals.add(translation.gettext("No action selected."))
    return bool(shown & refusals)


def state_of(label: str, pk: str) -> tuple:
    from django.apps import apps

    model = apps.get_model(label)
    return (model.objects.count(), list(model.objects.filter(pk=pk).values()) if pk.isdigit() else [])


def watched_state() -> tuple:
    from django.apps import apps

    return tuple(apps.get_model(label).objects.count() for label in WATCHED)


def cases(world: World):
    """(description, method, path, POST data, expected roles, label of the model a POST touches)."""
    for pattern, name in served_patterns():
        key = name or pattern
        if name is None and pattern.endswith("<path:object_id>/") and pattern.startswith("admin/"):
            label = ".".join(pattern.split("/")[1:3])
            values = {"object_id": world.pks[label]}
            expected = (STAFF, STAFF)
        elif admin_model_url(key):
            label, view = admin_model_url(key)
            declared = ADMINS[label]
            values = {"object_id": world.pks[label]}
            get_roles = {"changelist": declared.view, "add": declared.add, "change": declared.view}.get(
                view, declared.view if view == "history" else declared.delete
            )
            post_roles = {"changelist": declared.view, "add": declared.add, "change": declared.change}.get(
                view, declared.view if view == "history" else declared.delete
            )
            expected = (roles(get_roles), roles(post_roles))
        elif key in ADMIN_URLS:
            label = next(lab for lab in world.pks if key.startswith(lab.replace(".", "_") + "_"))
            values = {**world.path_values, "object_id": world.pks[label], "pk": world.pks[label]}
            values["conflict_id"] = values["id"] = world.pks[label]
            expected = ADMIN_URLS[key]
        else:
            label = None
            values = world.path_values
            expected = URLS[key]
        path = concrete_path(pattern, values)
        data = {"language": "en", "next": "/"} if key == "set_language" else {}
        yield f"GET {path}", "get", path, None, expected[0], label
        yield f"POST {path}", "post", path, data, expected[1], label
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        declared = ADMINS[label]
        changelist = f"/admin/{label.replace('.', '/')}/"
        for _function, name, _text in model_admin._get_base_actions():
            allowed = declared.delete if name == "delete_selected" else declared.actions[name]
            data = {"action": name, "_selected_action": [world.pks[label]], "index": "0"}
            yield f"action {label}.{name}", "action", changelist, data, roles(allowed), label


def run(world: World, role: str) -> list[str]:
    client = world.clients[role]
    mismatches = []
    for description, method, path, data, expected, label in cases(world):
        if world.users[role] is not None:
            client.force_login(world.users[role])
        with transaction.atomic():
            before = state_of(label, world.pks[label]) if label else watched_state()
            if method == "get":
                response = client.get(path)
            elif method == "post":
                response = client.post(path, data)
            else:
                response = client.post(path, data)
            refused = is_refused(response) or (method == "action" and action_refused(client, response))
            after = state_of(label, world.pks[label]) if label else watched_state()
            transaction.set_rollback(True)
        if response.status_code in (404, 405) or (world.pks.get(label) == MISSING and response.status_code == 302):
            continue  # no such method or object here: says nothing about who may use it
        if response.status_code >= 500:
            mismatches.append(f"{description}: {response.status_code}")
        elif refused == (role in expected):
            mismatches.append(f"{description}: {'refused' if refused else 'allowed'} ({response.status_code})")
        elif refused and method != "get" and before != after:
            mismatches.append(f"{description}: refused but changed {label or WATCHED}")
    return mismatches


def websocket_accepted(world: World, role: str, path: str) -> bool:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    client = world.clients[role]
    if world.users[role] is not None:
        client.force_login(world.users[role])
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))

    async def handshake() -> bool:
        scope = {"type": "websocket", "path": path, "headers": headers, "query_string": b"", "subprotocols": []}
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "websocket.connect"})
        first = await communicator.receive_output(timeout=5)
        if first["type"] != "websocket.accept":
            return False
        if path == "/ws/driver/":
            token = world.phone.token if role == D else ""
            await communicator.send_input(
                {"type": "websocket.receive", "text": json.dumps({"type": "auth", "token": token})}
            )
        try:
            output = await communicator.receive_output(timeout=2)
        except TimeoutError:
            output = {"type": "websocket.send"}
        await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
        await communicator.wait(timeout=2)
        return output["type"] != "websocket.close"

    return async_to_sync(handshake)()


@pytest.mark.parametrize("role", ROLES)
def test_every_url_and_websocket_answers_each_role_as_the_table_says(world, role):
    mismatches = run(world, role)
    for path, allowed in WEBSOCKETS.items():
        if websocket_accepted(world, role, "/" + path) != (role in allowed):
            mismatches.append(f"websocket /{path}: {'refused' if role in allowed else 'accepted'}")

    assert mismatches == [], "\n".join(["", *mismatches])


def test_a_driver_sees_only_their_own_routes_stops_and_media(world):
    client = world.clients[D]
    client.force_login(world.users[D])
    other_stop = world.other_route.stops.first()
    other_version = other_stop.version

    listed = {route["id"] for route in client.get("/api/v1/routes/").json()}
    route = client.get("/api/v1/driver/route").json()
    other_media = client.get(f"/api/v1/driver/media/{world.other_media}")
    pushed = world.phone.push(world.phone.action("complete", other_stop, base_version=other_version))

    assert listed == set(Route.objects.filter(driver__user=world.users[D]).values_list("pk", flat=True))
    assert world.other_route.pk not in listed
    assert str(other_stop.pk) not in str(route) or route.get("id") == world.own_route.pk
    assert other_media.status_code == 404
    assert pushed.json()["results"][0]["result"] == "rejected"
    other_stop.refresh_from_db()
    assert other_stop.version == other_version
    assert MediaUpload.objects.get(pk=world.other_media).stop_id == other_stop.pk
    assert client.get(f"/api/v1/driver/media/{world.own_media}").status_code == 200
    assert uuid.UUID(world.own_media) != uuid.UUID(world.other_media)
