"""GET /api/v1/driver/changes: the office's changes in server order, never skipping a late commit."""

import datetime
import json
import threading

import pytest
from django.db import transaction
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from luckygas.delivery import events
from luckygas.delivery import services as delivery_services
from luckygas.delivery.models import RouteStop
from offline_sync import services
from offline_sync.models import ChangeKind, ChangeLogEntry
from offline_sync.selectors import change_feed_for_driver
from tests.offline_sync.factories import phone_for, started_route
from tests.threads import Worker, start_all


def test_changes_since_the_cursor_in_server_order(route_a, phone_a, office_clerk, django_capture_on_commit_callbacks):
    cursor = phone_a.client.get("/api/v1/driver/route", {"date": route_a.date.isoformat()}).json()["cursor"]
    stops = list(route_a.stops.order_by("sequence"))
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.order_cancel(order=stops[0].order, actor=office_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.route_stop_reorder(route=route_a, stop_ids=[stops[2].pk, stops[1].pk, stops[0].pk])
    body = phone_a.client.get("/api/v1/driver/changes", {"cursor": cursor}).json()
    kinds = [change["kind"] for change in body["changes"]]
    assert kinds == ["stop_cancelled", "route_changed"]
    assert body["changes"][1]["data"]["stops"][0][0] == stops[2].pk
    cursors = [change["cursor"] for change in body["changes"]]
    assert cursors == sorted(cursors)
    assert body["cursor"] == cursors[-1]
    assert body["has_more"] is False
    again = phone_a.client.get("/api/v1/driver/changes", {"cursor": body["cursor"]}).json()
    assert again["changes"] == []
    assert again["cursor"] == body["cursor"]


def test_an_office_change_of_a_stop_carries_its_planned_arrival_window(
    route_a, phone_a, django_capture_on_commit_callbacks
):
    cursor = phone_a.client.get("/api/v1/driver/route", {"date": route_a.date.isoformat()}).json()["cursor"]
    stop = route_a.stops.get(sequence=1)
    RouteStop.objects.filter(pk=stop.pk).update(
        planned_arrival_start=datetime.time(8, 0), planned_arrival_end=datetime.time(9, 0)
    )
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(events.StopChanged(stop_id=stop.pk, route_id=route_a.pk))
    body = phone_a.client.get("/api/v1/driver/changes", {"cursor": cursor}).json()
    assert [(change["kind"], change["stop"]) for change in body["changes"]] == [("stop_changed", stop.pk)]
    assert body["changes"][0]["data"] == {
        "status": "pending",
        "version": stop.version,
        "planned_arrival_start": "08:00",
        "planned_arrival_end": "09:00",
    }


def test_a_driver_sees_only_their_own_changes(route_a, phone_b, office_clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.order_cancel(order=route_a.stops.first().order, actor=office_clerk)
    assert phone_b.client.get("/api/v1/driver/changes", {"cursor": 0}).json()["changes"] == []


def test_bad_cursor_is_400(phone_a):
    response = phone_a.client.get("/api/v1/driver/changes", {"cursor": "-1"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


@pytest.mark.django_db(transaction=True)
def test_feed_never_skips_an_entry_that_commits_after_a_later_one_started(role_groups, driver_a):
    """Two writers: the first holds its transaction open after drawing an id. Without the
    advisory lock the second would commit a larger id first and a reader at that cursor
    would never see the first one. With it, the second waits, so ids commit in order."""
    route = started_route(driver_a, stops=1)
    stop = route.stops.get()
    first_inserted = threading.Event()
    release_first = threading.Event()
    second_done = threading.Event()
    ids: dict[str, int] = {}

    def first_writer() -> None:
        with transaction.atomic():
            created = services.change_log_append(
                entries=[ChangeLogEntry(driver=driver_a, stop=stop, kind=ChangeKind.STOP_CHANGED)]
            )
            ids["first"] = created[0].pk
            first_inserted.set()
            release_first.wait(10)

    def second_writer() -> None:
        first_inserted.wait(10)
        with transaction.atomic():
            created = services.change_log_append(
                entries=[ChangeLogEntry(driver=driver_a, stop=stop, kind=ChangeKind.STOP_CHANGED)]
            )
            ids["second"] = created[0].pk
        second_done.set()

    cursor = max((entry.pk for entry in change_feed_for_driver(driver=driver_a, cursor=0)), default=0)
    writers = start_all([Worker(first_writer), Worker(second_writer)])
    try:
        assert first_inserted.wait(10)
        # while the first writer is open the second cannot commit, and a reader sees neither
        assert not second_done.wait(1)
        assert change_feed_for_driver(driver=driver_a, cursor=cursor) == []
    finally:
        release_first.set()
        for writer in writers:
            writer.result(timeout=10)
    # then the ids are in commit order and the reader that kept its cursor misses nothing
    assert ids["first"] < ids["second"]
    after = [entry.pk for entry in change_feed_for_driver(driver=driver_a, cursor=cursor)]
    assert after == [ids["first"], ids["second"]]


@pytest.mark.django_db(transaction=True)
def test_websocket_is_told_at_once_that_there_is_something_to_pull(role_groups, asgi_server, driver_a, office_clerk):
    # given a phone online on the real ASGI server (uvicorn, Redis channel layer)
    route = started_route(driver_a, stops=1)
    phone = phone_for(driver_a)
    url = asgi_server.replace("http://", "ws://") + "/ws/driver/"
    with connect(url, additional_headers={"Origin": asgi_server}, open_timeout=10) as websocket:
        websocket.send(json.dumps({"type": "auth", "token": phone.token}))
        assert json.loads(websocket.recv(timeout=10)) == {"type": "ready"}
        # when the office cancels a stop on its route
        delivery_services.order_cancel(order=route.stops.get().order, actor=office_clerk)
        message = json.loads(websocket.recv(timeout=10))
    # then the phone is told the cursor to pull up to
    assert message == {
        "type": "changes",
        "cursor": ChangeLogEntry.objects.filter(driver=driver_a).latest("id").pk,
    }


@pytest.mark.django_db(transaction=True)
def test_websocket_with_a_bad_token_is_closed(role_groups, asgi_server):
    url = asgi_server.replace("http://", "ws://") + "/ws/driver/?token=wrong"
    with (
        connect(url, additional_headers={"Origin": asgi_server}, open_timeout=10) as websocket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        websocket.recv(timeout=10)
    assert closed.value.rcvd.code == 4401
