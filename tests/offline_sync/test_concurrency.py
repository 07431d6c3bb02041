"""Two pushes of one device at the same moment are serialized: no action applied twice."""

import threading

import pytest
from rest_framework.test import APIClient

from luckygas.delivery.models import OrderStatus, OrderStatusChange, StopStatus
from offline_sync.models import CashCollection, SyncAction
from tests.offline_sync.factories import phone_for, started_route
from tests.threads import Worker, start_all


@pytest.mark.django_db(transaction=True)
def test_two_threads_pushing_the_same_batch_for_one_device_apply_it_once(role_groups, driver_a):
    # given one batch, sent twice at once (the phone retried while the first was in flight)
    route = started_route(driver_a, stops=5)
    phone = phone_for(driver_a)
    batch = [phone.action("complete", stop, cash_collected=950) for stop in route.stops.order_by("sequence")]
    start = threading.Barrier(2)
    responses: list = [None, None]

    def push(index: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Device {phone.token}")
        start.wait(5)
        responses[index] = client.post("/api/v1/driver/sync", {"actions": batch}, format="json")

    for pusher in start_all(Worker(push, index) for index in range(2)):
        pusher.result(timeout=30)
    # then one push applied everything and the other got the stored results
    assert [response.status_code for response in responses] == [200, 200]
    outcomes = sorted(tuple(r["result"] for r in response.json()["results"]) for response in responses)
    assert outcomes == [("applied",) * 5, ("duplicate",) * 5]
    assert SyncAction.objects.count() == 5
    assert CashCollection.objects.count() == 5
    assert OrderStatusChange.objects.filter(order__stop__route=route, to_status=OrderStatus.DELIVERED).count() == 5
    assert set(route.stops.values_list("status", flat=True)) == {StopStatus.DELIVERED}
    assert sum(route.stops.values_list("cash_collected", flat=True)) == 5 * 950


@pytest.mark.django_db(transaction=True)
def test_two_threads_pushing_consecutive_batches_never_interleave(role_groups, driver_a):
    route = started_route(driver_a, stops=4)
    phone = phone_for(driver_a)
    stops = list(route.stops.order_by("sequence"))
    first = [phone.action("collect_cash", stop, amount=10) for stop in stops]
    second = [phone.action("collect_cash", stop, amount=1) for stop in stops]
    start = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def push(name: str, batch: list) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Device {phone.token}")
        start.wait(5)
        statuses[name] = client.post("/api/v1/driver/sync", {"actions": batch}, format="json").status_code

    for pusher in start_all([Worker(push, "first", first), Worker(push, "second", second)]):
        pusher.result(timeout=30)
    # either the second waited for the first (device row lock), or it came first and got 409
    assert statuses["first"] == 200
    assert statuses["second"] in {200, 409}
    if statuses["second"] == 409:
        assert phone.push(*second).status_code == 200  # the phone resends after pulling next_seq
    assert list(SyncAction.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 9))
    assert set(route.stops.values_list("cash_collected", flat=True)) == {11}
