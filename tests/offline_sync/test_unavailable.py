"""POST /api/v1/driver/sync answers 503 with Retry-After, and applies nothing, when it cannot get its locks."""

import threading

import pytest
from django.db import transaction

from luckygas.delivery.models import OrderStatus, OrderStatusChange, RouteStop, StopStatus
from offline_sync.models import CashCollection, DriverDevice, SyncAction
from tests.offline_sync.factories import phone_for, started_route
from tests.threads import Worker


class HeldLock:
    """Another transaction (an office edit, a stuck push) holding a row lock until released."""

    def __init__(self, lock) -> None:
        self.lock = lock
        self.locked = threading.Event()
        self.release = threading.Event()
        self.holder = Worker(self._hold, name="lock holder")

    def _hold(self) -> None:
        with transaction.atomic():
            self.lock()
            self.locked.set()
            self.release.wait(30)

    def __enter__(self) -> "HeldLock":
        self.holder.start()
        assert self.locked.wait(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self.holder.result(timeout=30)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("held", ["device", "stop"])
def test_push_that_cannot_get_its_locks_gets_503_with_retry_after_and_applies_nothing(
    role_groups, driver_a, settings, held
):
    # given a phone with a batch, and another transaction holding the device's row or a stop's row
    route = started_route(driver_a, stops=3)
    phone = phone_for(driver_a)
    stops = list(route.stops.order_by("sequence"))
    batch = [phone.action("complete", stop, cash_collected=950) for stop in stops]
    settings.SYNC_PUSH_LOCK_TIMEOUT_MS = 300
    if held == "device":
        lock = lambda: DriverDevice.objects.select_for_update().get(pk=phone.device.pk)  # noqa: E731
    else:
        lock = lambda: RouteStop.objects.select_for_update().get(pk=stops[-1].pk)  # noqa: E731
    # when the phone pushes while the lock is held
    with HeldLock(lock):
        response = phone.push(*batch)
    # then the server is busy: 503, a Retry-After, and nothing applied or counted
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "unavailable"
    assert not SyncAction.objects.exists()
    assert not CashCollection.objects.exists()
    assert set(route.stops.values_list("status", "version", "cash_collected")) == {(StopStatus.PENDING, 1, 0)}
    assert not OrderStatusChange.objects.filter(order__stop__route=route, to_status=OrderStatus.DELIVERED).exists()
    phone.device.refresh_from_db()
    assert phone.device.next_seq == 1
    # and the resend, once the lock is gone, applies the batch exactly once
    resent = phone.push(*batch)
    assert resent.status_code == 200
    assert [r["result"] for r in resent.json()["results"]] == ["applied"] * 3
    assert SyncAction.objects.count() == 3
