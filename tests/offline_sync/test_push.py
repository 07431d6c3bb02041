"""POST /api/v1/driver/sync: each action applied at most once, one result per action."""

import uuid

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from dashboard.models import DailyRollup
from luckygas.delivery.models import Order, OrderStatus, OrderStatusChange, RouteStop, StopStatus
from offline_sync import services
from offline_sync.models import CashCollection, ChangeLogEntry, SyncAction
from tests.offline_sync.factories import phone_for, started_route


def test_complete_applies_once_and_records_the_phone_time(route_a, phone_a):
    # given
    stop = route_a.stops.order_by("sequence").first()
    action = phone_a.action("complete", stop, cash_collected=950, empties_collected=1)
    # when
    response = phone_a.push(action)
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next_seq"] == 2
    result = body["results"][0]
    assert result["result"] == "applied"
    assert result["stop"]["status"] == "delivered"
    assert result["stop"]["version"] == stop.version + 1
    stop.refresh_from_db()
    assert stop.status == StopStatus.DELIVERED
    assert stop.cash_collected == 950
    assert stop.order.status == OrderStatus.DELIVERED
    assert CashCollection.objects.get(stop=stop).amount == 950
    assert SyncAction.objects.get(pk=action["id"]).result == "applied"


def test_same_batch_twice_has_one_effect_and_the_stored_results(route_a, phone_a):
    # given
    first, second = route_a.stops.order_by("sequence")[:2]
    batch = [phone_a.action("complete", first, cash_collected=950), phone_a.action("collect_cash", second, amount=50)]
    original = phone_a.push(*batch).json()
    # when the response was lost and the phone resends the same batch
    resent = phone_a.push(*batch).json()
    # then nothing is applied again and each action gets its stored first result back
    assert [r["result"] for r in original["results"]] == ["applied", "applied"]
    assert [r["result"] for r in resent["results"]] == ["duplicate", "duplicate"]
    for first_time, again in zip(original["results"], resent["results"], strict=True):
        assert again == {**first_time, "result": "duplicate", "first_result": first_time["result"]}
    assert resent["next_seq"] == original["next_seq"] == 3
    second.refresh_from_db()
    assert second.cash_collected == 50
    assert CashCollection.objects.filter(stop__route=route_a).count() == 2
    assert OrderStatusChange.objects.filter(order=first.order, to_status=OrderStatus.DELIVERED).count() == 1


def test_gap_in_seq_is_answered_with_409_and_the_expected_seq(route_a, phone_a):
    stop = route_a.stops.first()
    phone_a.next_seq = 3
    response = phone_a.push(phone_a.action("complete", stop))
    assert response.status_code == 409
    assert response.json()["code"] == "seq_gap"
    assert response.json()["expected_seq"] == 1
    stop.refresh_from_db()
    assert stop.status == StopStatus.PENDING
    assert not SyncAction.objects.exists()


def test_reused_id_with_a_new_body_is_refused_with_422(route_a, phone_a):
    stop = route_a.stops.first()
    action = phone_a.action("collect_cash", stop, amount=100)
    assert phone_a.push(action).status_code == 200
    response = phone_a.push({**action, "payload": {"amount": 900}})
    assert response.status_code == 422
    assert response.json()["code"] == "id_reused"
    stop.refresh_from_db()
    assert stop.cash_collected == 100


def test_revoked_device_gets_401_and_nothing_is_applied(route_a, phone_a):
    stop = route_a.stops.first()
    services.device_revoke(device=phone_a.device)
    response = phone_a.push(phone_a.action("complete", stop))
    assert response.status_code == 401
    stop.refresh_from_db()
    assert stop.status == StopStatus.PENDING
    assert not SyncAction.objects.exists()


def test_rejected_action_advances_seq_and_does_not_block_the_queue(route_a, phone_a):
    first, second = route_a.stops.order_by("sequence")[:2]
    bad = phone_a.action("collect_cash", first, amount=-5)
    good = phone_a.action("complete", second)
    body = phone_a.push(bad, good).json()
    assert [r["result"] for r in body["results"]] == ["rejected", "applied"]
    assert body["results"][0]["errors"] == {"payload.amount": ["Ensure this value is greater than or equal to 1."]}
    assert body["next_seq"] == 3
    assert SyncAction.objects.get(pk=bad["id"]).result == "rejected"


def test_another_drivers_stop_and_an_unknown_stop_are_rejected(route_a, driver_b, phone_b):
    stop = route_a.stops.first()
    body = phone_b.push(phone_b.action("complete", stop), phone_b.action("complete", 999_999)).json()
    assert [r["result"] for r in body["results"]] == ["rejected", "rejected"]
    assert body["results"][0]["errors"] == {"stop": ["This stop is not on your route."]}
    assert body["results"][1]["errors"] == {"stop": ["Unknown stop."]}
    stop.refresh_from_db()
    assert stop.status == StopStatus.PENDING
    assert "stop" not in body["results"][0]


def test_oversize_batch_and_malformed_envelopes_get_400_and_change_nothing(route_a, phone_a):
    stop = route_a.stops.first()
    too_many = [phone_a.action("collect_cash", stop, amount=1) for _ in range(11)]
    response = phone_a.push(*too_many)
    assert response.status_code == 400
    assert "actions" in response.json()["errors"]
    response = phone_a.client.post("/api/v1/driver/sync", {"actions": [{"id": "not-a-uuid", "seq": 1}]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"actions.0.id": ["Must be a valid UUID."]}
    response = phone_a.client.post("/api/v1/driver/sync", "[1,2]", content_type="application/json")
    assert response.status_code == 400
    stop.refresh_from_db()
    assert stop.cash_collected == 0
    assert not SyncAction.objects.exists()


# Per batch: the device token, the lock timeout, the device lock, the known action ids, the
# stops (and their orders) locked at once, the core's three writes (status history, orders,
# stops), the action rows, their children, the device's counters, the change feed's lock and
# rows, and the savepoint pair of the test's transaction. Nothing grows with the batch.
QUERIES_PER_PUSH = 15


def test_push_of_ten_deliveries_runs_a_constant_number_of_queries(driver_a, phone_a, django_assert_max_num_queries):
    # given a full batch of ten deliveries (the most expensive action: it moves the order too)
    route = started_route(driver_a, stops=10)
    actions = [phone_a.action("complete", stop, cash_collected=950) for stop in route.stops.order_by("sequence")]
    # then
    with django_assert_max_num_queries(QUERIES_PER_PUSH):
        response = phone_a.push(*actions)
    assert response.status_code == 200
    assert [r["result"] for r in response.json()["results"]] == ["applied"] * 10
    assert Order.objects.filter(stop__route=route, status=OrderStatus.DELIVERED).count() == 10
    assert CashCollection.objects.filter(stop__route=route).count() == 10


def test_push_of_mixed_actions_runs_a_constant_number_of_queries(route_a, phone_a, django_assert_max_num_queries):
    # given notes, empties, cash, a photo and deliveries on the same stops in one batch
    first, second, third = route_a.stops.order_by("sequence")
    actions = [
        phone_a.action("note", first, text="門口有狗"),
        phone_a.action("note", second, text="請按電鈴"),
        phone_a.action("collect_empties", first, count=1),
        phone_a.action("collect_cash", second, amount=100),
        phone_a.action("attach_media", third, media_id=str(uuid.uuid4()), kind="photo", sha256="ab" * 32),
        phone_a.action("skip", first, reason="沒人在家"),
        phone_a.action("complete", first, cash_collected=950),
        phone_a.action("complete", second),
        phone_a.action("fail", third, reason="地址錯誤"),
        phone_a.action("collect_cash", third, amount=50),
    ]
    # then four more than deliveries alone, however many actions: the notes of the stops and the
    # known media IDs, each read once for the batch, and one insert each for notes and photos
    with django_assert_max_num_queries(QUERIES_PER_PUSH + 4):
        response = phone_a.push(*actions)
    assert response.status_code == 200, response.content
    assert [r["result"] for r in response.json()["results"]] == ["applied"] * 10
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert (first.status, first.cash_collected, first.empties_collected) == (StopStatus.DELIVERED, 950, 1)
    assert (second.status, second.cash_collected) == (StopStatus.DELIVERED, 100)
    assert (third.status, third.cash_collected) == (StopStatus.FAILED, 50)
    # every action raised the stop's version once
    assert (first.version, second.version, third.version) == (5, 4, 4)


def test_login_registers_a_device_and_rejects_a_wrong_password(client, driver_a):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    device_id = str(uuid.uuid4())
    response = client.post(
        "/api/v1/driver/devices/login",
        {"username": "driver-a", "password": "wrong", "device_id": device_id},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    response = client.post(
        "/api/v1/driver/devices/login",
        {"username": "driver-a", "password": "correct horse battery", "device_id": device_id, "name": "Pixel"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["driver"] == {"id": driver_a.pk, "name": "陳建宏"}
    assert response.json()["next_seq"] == 1


def test_office_staff_cannot_register_a_device(client, office_clerk):
    response = client.post(
        "/api/v1/driver/devices/login",
        {"username": "clerk", "password": "correct horse battery", "device_id": str(uuid.uuid4())},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert User.objects.get(username="clerk").pk == office_clerk.pk


def test_driver_cannot_take_over_another_drivers_device(client, phone_a, driver_b):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        "/api/v1/driver/devices/login",
        {"username": "driver-b", "password": "correct horse battery", "device_id": str(phone_a.device.device_id)},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["errors"] == {"device_id": ["This device is registered to another driver."]}


def test_completion_time_is_the_phone_time_corrected_by_its_clock_offset(route_a, driver_a):
    import datetime

    from django.utils import timezone

    phone = phone_for(driver_a)
    stop = route_a.stops.first()
    # The phone's clock runs 30 minutes fast; it acted 10 minutes ago by its own clock.
    skew = datetime.timedelta(minutes=30)
    phone_now = timezone.now() + skew
    action = phone.action("complete", stop)
    action["occurred_at"] = (phone_now - datetime.timedelta(minutes=10)).isoformat()
    response = phone.push(action, sent_at=phone_now.isoformat())
    assert response.status_code == 200
    stop.refresh_from_db()
    expected = timezone.now() - datetime.timedelta(minutes=10)
    assert abs((stop.completed_at - expected).total_seconds()) < 5
    stored = SyncAction.objects.get(pk=action["id"])
    assert abs(stored.clock_offset_seconds + 1800) <= 2
    assert stored.occurred_at.isoformat() != stored.received_at.isoformat()
    assert Order.objects.get(pk=stop.order_id).status == OrderStatus.DELIVERED
    assert RouteStop.objects.get(pk=stop.pk).status == StopStatus.DELIVERED


def test_future_and_out_of_order_event_times_are_flagged_but_applied(route_a, phone_a):
    import datetime

    from django.utils import timezone

    first, second = route_a.stops.order_by("sequence")[:2]
    future = phone_a.action("note", first, text="時鐘快了")
    future["occurred_at"] = (timezone.now() + datetime.timedelta(minutes=30)).isoformat()
    earlier = phone_a.action("note", second, text="比上一筆早")
    earlier["occurred_at"] = (timezone.now() - datetime.timedelta(minutes=5)).isoformat()
    results = phone_a.push(future, earlier).json()["results"]
    assert [r["result"] for r in results] == ["applied", "applied"]
    assert results[0]["flags"] == ["future"]
    assert results[1]["flags"] == ["out_of_order"]
    assert SyncAction.objects.get(pk=future["id"]).clock_flags == ["future"]


def test_absurd_phone_clocks_are_answered_not_crashed_on(route_a, phone_a):
    action = phone_a.action("complete", route_a.stops.first())
    action["occurred_at"] = "9000-01-01T00:00:00+00:00"
    response = phone_a.push(action, sent_at="0001-01-01T00:00:00+00:00")
    assert response.status_code == 200
    assert response.json()["results"][0]["result"] == "applied"
    assert response.json()["results"][0]["flags"] == ["future"]


def test_huge_json_is_refused_with_413(route_a, phone_a):
    stop = route_a.stops.first()
    action = phone_a.action("note", stop, text="x" * 300_000)
    response = phone_a.push(action)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not SyncAction.objects.exists()


def test_after_commit_work_of_a_push_does_not_grow_with_the_batch(
    driver_a, phone_a, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # given a full batch of ten deliveries, pushed
    route = started_route(driver_a, stops=10)
    entries_before = ChangeLogEntry.objects.filter(driver=driver_a).count()
    actions = [phone_a.action("complete", stop, cash_collected=950) for stop in route.stops.order_by("sequence")]
    with django_capture_on_commit_callbacks() as callbacks:
        response = phone_a.push(*actions)
    assert response.status_code == 200
    # when what waits for the commit runs (the subscribers of the ten deliveries' events)
    with django_assert_max_num_queries(2):  # the dashboard: one read of the orders, one upsert of the day
        for callback in callbacks:
            callback()
    # then the day counts all ten, and the feed holds the push's own entries only (none doubled by events)
    assert DailyRollup.objects.get(day=timezone.localdate()).orders_delivered == 10
    assert ChangeLogEntry.objects.filter(driver=driver_a).count() == entries_before + 10
