"""Live pushes over /ws/dashboard/: real channels-redis, the real ticker, real PostgreSQL."""

import asyncio
import time

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from dashboard.live import Ticker, current_seq, mark_dirty
from dashboard.metrics import ADMIN, MANAGER, METRICS, metrics_for
from luckygas.asgi import application
from luckygas.delivery.services import OrderLineInput, order_create
from tests.dashboard.conftest import SocketClient, run_scenario, running_ticker, session_cookie, socket_headers
from tests.delivery.factories import CustomerFactory, ProductFactory
from tests.threads import run_in_thread

pytestmark = pytest.mark.django_db(transaction=True)

INTERVAL = 1.0
MANAGER_METRICS = {metric.name for metric in metrics_for(MANAGER)}
ADMIN_ONLY_METRICS = {metric.name for metric in metrics_for(ADMIN)} - MANAGER_METRICS


async def connect(user) -> SocketClient:
    cookie = await database_sync_to_async(session_cookie)(user) if user is not None else None
    communicator = SocketClient(application, "/ws/dashboard/", headers=socket_headers(cookie))
    assert await communicator.connect(timeout=5)
    return communicator


async def receive_until(communicator: SocketClient, predicate, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("no matching message in time")
        message = await communicator.receive_json_from(timeout=remaining)
        if predicate(message):
            return message


async def collect_until(communicator: SocketClient, done, timeout: float) -> list[dict]:
    """Every message until `done(messages)` holds; fails naming what arrived if it never does."""
    messages: list[dict] = []
    deadline = time.monotonic() + timeout
    while not done(messages):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"gave up after {timeout} s with {[m.get('metric') for m in messages]}")
        try:
            messages.append(await communicator.receive_json_from(timeout=remaining))
        except TimeoutError:
            continue
    return messages


def metrics_in(messages: list[dict]) -> set[str]:
    return {message["metric"] for message in messages if message.get("type") == "metric"}


async def drain(communicator: SocketClient, seconds: float) -> list[dict]:
    messages = []
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            messages.append(await communicator.receive_json_from(timeout=remaining))
        except TimeoutError:
            break
    return messages


def run_on_own_loop(coroutine) -> None:
    """Run a scenario on a fresh event loop in its own thread, whatever loop this thread holds (Playwright's)."""
    run_in_thread(run_scenario, coroutine, timeout=240, name="scenario")


def create_orders(count: int, *, in_one_transaction: bool = False) -> None:
    customer = CustomerFactory()
    product = ProductFactory()
    lines = [OrderLineInput(product=product, quantity=1)]
    if in_one_transaction:
        with transaction.atomic():
            for _index in range(count):
                order_create(customer=customer, delivery_date=customer.created_at.date(), lines=lines)
    else:
        for _index in range(count):
            order_create(customer=customer, delivery_date=customer.created_at.date(), lines=lines)


async def scenario_manager_socket_receives_an_order_within_one_interval_with_the_next_seq(manager):
    # given a connected manager and the real ticker
    communicator = await connect(manager)
    assert (await communicator.receive_json_from(timeout=5)) == {"type": "hello", "audience": MANAGER}
    seq_before = await database_sync_to_async(current_seq)(MANAGER, "kpis")
    with running_ticker(INTERVAL):
        await asyncio.sleep(INTERVAL * 1.5)  # the first ticks push the periodic metrics; let them pass
        await drain(communicator, 0.1)
        seq_before = await database_sync_to_async(current_seq)(MANAGER, "kpis")
        # when an order is created (and committed)
        created_at = time.monotonic()
        await database_sync_to_async(create_orders)(1)
        # then the kpis push arrives within one interval (plus compute time), one seq higher
        message = await receive_until(communicator, lambda m: m.get("metric") == "kpis", timeout=INTERVAL + 2)
        elapsed = time.monotonic() - created_at
    assert message["seq"] == seq_before + 1
    assert message["data"]["orders_today"] == 1
    assert message["as_of"]
    assert elapsed < INTERVAL + 2
    await communicator.disconnect()


async def scenario_anonymous_socket_is_closed_with_4401():
    communicator = await connect(None)
    assert await communicator.next_event(timeout=5) == {"type": "websocket.close", "code": 4401}


async def scenario_driver_and_office_sockets_are_closed_with_4403(driver_a, office_clerk):
    for user in (driver_a.user, office_clerk):
        communicator = await connect(user)
        assert await communicator.next_event(timeout=5) == {"type": "websocket.close", "code": 4403}


async def scenario_a_manager_never_receives_admin_only_metrics(manager, admin_user):
    manager_socket = await connect(manager)
    admin_socket = await connect(admin_user)
    await manager_socket.receive_json_from(timeout=5)
    await admin_socket.receive_json_from(timeout=5)
    # when every metric is dirty and the ticker runs once
    await database_sync_to_async(mark_dirty)(*METRICS)
    await database_sync_to_async(Ticker(interval=INTERVAL).tick)()
    # (the tick has sent everything; wait for it however slow the machine, then for any stragglers)
    everything = MANAGER_METRICS | ADMIN_ONLY_METRICS
    admin_messages = await collect_until(admin_socket, lambda got: metrics_in(got) >= everything, timeout=30)
    manager_messages = await collect_until(manager_socket, lambda got: metrics_in(got) >= MANAGER_METRICS, timeout=30)
    manager_messages += await drain(manager_socket, 0.5)
    admin_messages += await drain(admin_socket, 0.5)
    # then the manager got exactly the manager metrics, the admin all of them
    assert {message["metric"] for message in manager_messages} == MANAGER_METRICS
    assert {message["metric"] for message in admin_messages} == MANAGER_METRICS | ADMIN_ONLY_METRICS
    assert {"finance", "system"} == ADMIN_ONLY_METRICS
    manager_text = str(manager_messages)
    for admin_field in ("invoices_open_amount", "revenue_by_day", "queues", "direct_debit"):
        assert admin_field not in manager_text
    await manager_socket.disconnect()
    await admin_socket.disconnect()


async def scenario_a_burst_of_1000_orders_pushes_at_most_once_per_metric_per_interval(manager):
    # given 1,000 orders committed in one burst (1,000 order.created events) since the last tick
    await database_sync_to_async(create_orders)(1000, in_one_transaction=True)
    communicator = await connect(manager)
    await communicator.receive_json_from(timeout=5)
    # when the real ticker runs for a few intervals
    with running_ticker(INTERVAL) as ticker:
        touched = {"kpis", "pipeline", "customers"}
        messages = await collect_until(communicator, lambda got: metrics_in(got) >= touched, timeout=30)
        # then keep listening for three more ticks: a second push of the same burst would show there
        ticks_seen, give_up_at = ticker.ticks, time.monotonic() + 30
        while ticker.ticks < ticks_seen + 3 and time.monotonic() < give_up_at:
            messages += await drain(communicator, INTERVAL / 2)
        messages += await drain(communicator, INTERVAL / 2)
        ticks = ticker.ticks
    by_metric: dict[str, list[dict]] = {}
    for message in messages:
        by_metric.setdefault(message["metric"], []).append(message)
    # then the metrics the orders touch were pushed once, and no metric more than once per tick
    assert [len(by_metric.get(name, [])) for name in ("kpis", "pipeline", "customers")] == [1, 1, 1], sorted(by_metric)
    assert by_metric["kpis"][0]["data"]["orders_today"] == 1000
    for metric, pushed in by_metric.items():
        assert len(pushed) <= ticks, (metric, len(pushed), ticks)
        assert [m["seq"] for m in pushed] == list(range(pushed[0]["seq"], pushed[0]["seq"] + len(pushed)))
    await communicator.disconnect()


def test_manager_socket_receives_an_order_within_one_interval_with_the_next_seq(manager):
    run_on_own_loop(scenario_manager_socket_receives_an_order_within_one_interval_with_the_next_seq(manager))


def test_anonymous_socket_is_closed_with_4401(db):
    run_on_own_loop(scenario_anonymous_socket_is_closed_with_4401())


def test_driver_and_office_sockets_are_closed_with_4403(driver_a, office_clerk):
    run_on_own_loop(scenario_driver_and_office_sockets_are_closed_with_4403(driver_a, office_clerk))


def test_a_manager_never_receives_admin_only_metrics(manager, admin_user):
    run_on_own_loop(scenario_a_manager_never_receives_admin_only_metrics(manager, admin_user))


def test_a_burst_of_1000_orders_pushes_at_most_once_per_metric_per_interval(manager):
    run_on_own_loop(scenario_a_burst_of_1000_orders_pushes_at_most_once_per_metric_per_interval(manager))
