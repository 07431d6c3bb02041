"""The dashboard in a real Chromium against uvicorn: live tile updates, and resync after a dropped socket."""

import threading

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from dashboard.live import Ticker
from luckygas.delivery.models import StopStatus
from luckygas.delivery.services import (
    OrderLineInput,
    order_confirm,
    order_create,
    route_assign_orders,
    route_start,
    route_stop_record_outcome,
)
from tests.dashboard.conftest import session_cookie
from tests.delivery.factories import CustomerFactory, ProductFactory
from tests.servers import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def place_orders(count: int) -> list:
    product = ProductFactory()
    return [
        order_create(
            customer=CustomerFactory(short_name=f"福氣小吃店{index}"),
            delivery_date=timezone.localdate(),
            lines=[OrderLineInput(product=product, quantity=2)],
        )
        for index in range(count)
    ]


def tick(ticker: Ticker) -> None:
    """One real tick, on a thread of its own (Playwright's sync API keeps an event loop on this one)."""

    def run() -> None:
        try:
            ticker.tick()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)


def a_morning_of_work(driver) -> None:
    orders = place_orders(4)
    for order in orders:
        order_confirm(order=order)
    route = route_assign_orders(driver=driver, date=timezone.localdate(), orders=orders)
    route_start(route=route)
    for stop in route.stops.order_by("sequence")[:3]:
        route_stop_record_outcome(
            stop=stop, status=StopStatus.DELIVERED, completed_at=timezone.now(), cash_collected=1900
        )


def test_a_tile_updates_without_reload_and_resyncs_after_a_dropped_socket(
    asgi_server, browser_context, manager, driver_a
):
    a_morning_of_work(driver_a)
    browser_context.add_cookies([{"name": "sessionid", "value": session_cookie(manager), "url": asgi_server}])
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    snapshots: list[str] = []
    page.on("request", lambda request: snapshots.append(request.url) if "/snapshot/" in request.url else None)
    page.goto(f"{asgi_server}/dashboard/")
    badge = page.locator("#connection-badge")
    tile = page.locator('[data-testid="tile-orders-today"] .value')
    expect(badge).to_have_attribute("data-state", "connected", timeout=15000)
    expect(tile).to_have_text("4")
    page.evaluate("window.sameDocument = true")
    ticker = Ticker(interval=1)

    # when an order is created on the server and the ticker pushes
    place_orders(1)
    tick(ticker)
    # then the tile shows it without a reload
    expect(tile).to_have_text("5", timeout=10000)
    assert page.evaluate("window.sameDocument") is True
    snapshots_before_drop = len(snapshots)

    # when the socket drops and orders arrive while the page is away
    page.evaluate("window.luckygasDashboard.dropSocket(3000)")
    expect(badge).to_have_attribute("data-state", "reconnecting")
    place_orders(2)
    tick(ticker)  # this push reaches nobody on this page
    expect(tile).to_have_text("5")
    # then the page reconnects, re-fetches the snapshot and shows what it missed
    expect(badge).to_have_attribute("data-state", "connected", timeout=20000)
    expect(tile).to_have_text("7", timeout=10000)
    assert len(snapshots) == snapshots_before_drop + 1
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator('[data-asof="kpis"]').first).to_contain_text("前更新")
    page.wait_for_timeout(500)
    save_screenshot(page, "dashboard-executive")
    page.locator('.tab[data-panel="operations"]').click()
    expect(page.locator('[data-table="drivers"] tr')).to_have_count(1)
    page.wait_for_timeout(800)
    save_screenshot(page, "dashboard-operations")
