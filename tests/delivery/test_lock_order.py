"""Office services lock a stop before its order, as a driver's push does, so the two never deadlock.

A push locks its stops and their orders in stop order (`route_stops_lock`). An office service
that locked the order first and then waited for the stop would hold what the push waits for.
Each test holds a stop's lock, runs the service on another connection until it waits, and then
checks that the order is still free: the service queued behind the stop without taking it.
"""

import threading
from collections.abc import Callable

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from luckygas.delivery import services
from luckygas.delivery.models import Order, OrderStatus, RouteStop, StopStatus
from tests.delivery.factories import DriverFactory, OrderFactory
from tests.servers import wait_for
from tests.threads import Worker, start_all, wait_all

pytestmark = pytest.mark.django_db(transaction=True)


def dsn() -> str:
    settings = connection.settings_dict
    return (
        f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} "
        f"dbname={settings['NAME']} user={settings['USER']} password={settings['PASSWORD'] or ''}"
    )


def waiting_for_a_stop(application_name: str) -> bool:
    """The service's connection is waiting for a row lock, in a statement that locks stops."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = %s",
            [application_name],
        )
        # (the text is cut at track_activity_query_size: the FOR UPDATE at its end may be missing)
        return any(query.startswith("SELECT") and '"delivery_routestop"' in query for (query,) in cursor.fetchall())


def order_is_free(order_id: int) -> bool:
    with psycopg.connect(dsn()) as other:
        try:
            other.execute("SELECT 1 FROM delivery_order WHERE id = %s FOR UPDATE NOWAIT", [order_id])
        except psycopg.errors.LockNotAvailable:
            return False
        return True


def run_while_the_stop_is_held(stop: RouteStop, service: Callable[[], object]) -> bool:
    """Hold `stop` (as a push that locked it), run `service` until it waits; is the order free then?"""

    def run_service() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET application_name = 'lock-order-test'")
        service()

    with psycopg.connect(dsn()) as holder:
        holder.execute("SELECT 1 FROM delivery_routestop WHERE id = %s FOR UPDATE", [stop.pk])
        office = Worker(run_service, name="office service").start()
        wait_for(lambda: waiting_for_a_stop("lock-order-test"), timeout=15, what="the service to wait for the stop")
        free = order_is_free(stop.order_id)
        holder.rollback()  # the "push" ends; the service goes on
    office.result(timeout=30)
    return free


def scheduled_stop(*, start: bool = False) -> RouteStop:
    order = OrderFactory()
    services.order_confirm(order=order)
    route = services.route_assign_orders(driver=DriverFactory(), date=timezone.localdate(), orders=[order])
    if start:
        services.route_start(route=route)
    return route.stops.get()


def test_cancelling_an_order_waits_for_its_stop_before_locking_the_order():
    # given a stop a driver's push holds
    stop = scheduled_stop(start=True)
    # when the office cancels its order meanwhile
    free = run_while_the_stop_is_held(stop, lambda: services.order_cancel(order=stop.order, reason="客戶取消"))
    # then the cancel queued behind the stop without holding the order, and went through after
    assert free
    stop.refresh_from_db()
    assert stop.status == StopStatus.CANCELLED
    assert Order.objects.get(pk=stop.order_id).status == OrderStatus.CANCELLED


def test_starting_a_route_waits_for_its_stops_before_locking_their_orders():
    stop = scheduled_stop()
    free = run_while_the_stop_is_held(stop, lambda: services.route_start(route=stop.route))
    assert free
    assert Order.objects.get(pk=stop.order_id).status == OrderStatus.OUT_FOR_DELIVERY


def test_a_cancel_and_a_push_of_the_same_stop_both_complete():
    # given a started stop, cancelled by the office and delivered by a push at the same moment
    stop = scheduled_stop(start=True)
    start = threading.Barrier(2)

    def office() -> None:
        start.wait(5)
        services.order_cancel(order=Order.objects.get(pk=stop.order_id), reason="客戶取消")

    def push() -> None:
        start.wait(5)
        with transaction.atomic():
            locked = services.route_stops_lock(stop_ids=[stop.pk])[stop.pk]
            batch = services.RouteStopBatch()
            batch.record_outcome(stop=locked, status=StopStatus.DELIVERED, completed_at=timezone.now())
            batch.save()

    workers = start_all([Worker(office), Worker(push)])
    wait_all(workers, timeout=30)
    errors = [worker.error for worker in workers if worker.error is not None]
    # then whichever came second was refused by the rules (never by a deadlock), and the two agree
    assert not [error for error in errors if "deadlock" in str(error).lower()], errors
    assert len(errors) == 1, errors
    stop.refresh_from_db()
    order = Order.objects.get(pk=stop.order_id)
    assert (stop.status, order.status) in {
        (StopStatus.CANCELLED, OrderStatus.CANCELLED),
        (StopStatus.DELIVERED, OrderStatus.DELIVERED),
    }
