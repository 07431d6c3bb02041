"""The dashboard in a real Chromium against uvicorn: live tile updates, and resync after a dropped socket."""

import pytest
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
from tests.threads import run_in_thread

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
    run_in_thread(ticker.tick, timeout=60, name="tick")


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


def test_a_manager_pages_sorts_and_searches_the_orders_table(asgi_server, browser_context, manager):
    # given 120 orders due today, of 1 to 5 cylinders each
    product = ProductFactory()
    orders = [
        order_create(
            customer=CustomerFactory(short_name=f"福氣小吃店{index:03d}", code=f"C7{index:05d}"),
            delivery_date=timezone.localdate(),
            lines=[OrderLineInput(product=product, quantity=1 + index % 5)],
        )
        for index in range(120)
    ]
    browser_context.add_cookies([{"name": "sessionid", "value": session_cookie(manager), "url": asgi_server}])
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1366, "height": 1000})
    page.goto(f"{asgi_server}/dashboard/")
    table = page.locator('[data-table="orders"]')
    pager = page.locator("[data-orders-page]")
    next_page = page.locator('[data-page="next"]')

    # when the operations panel opens, the table shows the first page, newest order first
    page.locator('.tab[data-panel="operations"]').click()
    expect(page.locator("[data-orders-count]")).to_have_text("120 筆訂單")
    expect(pager).to_have_text("第 1 / 3 頁")
    expect(table.locator("tr")).to_have_count(50)
    expect(table.locator("tr").first.locator("td").first).to_have_text(str(orders[-1].pk))

    # then the manager pages through to the last page
    next_page.click()
    expect(pager).to_have_text("第 2 / 3 頁")
    expect(table.locator("tr").first.locator("td").first).to_have_text(str(orders[-51].pk))
    next_page.click()
    expect(pager).to_have_text("第 3 / 3 頁")
    expect(table.locator("tr")).to_have_count(20)
    expect(table.locator("tr").last.locator("td").first).to_have_text(str(orders[0].pk))
    expect(next_page).to_be_disabled()

    # sorting by amount starts again at page 1 with the largest orders
    page.locator('[data-sort="amount"]').click()
    expect(pager).to_have_text("第 1 / 3 頁")
    expect(page.locator('[data-sort="amount"]')).to_have_attribute("aria-sort", "descending")
    expect(table.locator("tr").first.locator("td").last).to_contain_text("4,750")

    # and a search narrows the table to one customer
    page.locator('[data-orders-search] input[name="q"]').fill("福氣小吃店007")
    expect(page.locator("[data-orders-count]")).to_have_text("1 筆訂單")
    expect(table.locator("tr")).to_have_count(1)
    expect(table.locator("tr td").nth(4)).to_have_text("福氣小吃店007")
    page.locator('[data-orders-search] input[name="q"]').fill("")
    expect(page.locator("[data-orders-count]")).to_have_text("120 筆訂單")
    save_screenshot(page, "dashboard-orders-table")
