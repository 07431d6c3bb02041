"""The planning page in a real Chromium against uvicorn and a real Celery worker: plan, drag a stop to another
route, lock it, re-plan the rest, drag a stop back to the unplanned orders, publish; the driver's phone then sees
the published order. Tiles are blocked."""

import re

import pytest
from playwright.sync_api import expect

from dispatch.models import PlanDraft, PlanStatus
from dispatch.services import day_build
from luckygas.delivery.models import RouteStop
from tests import servers
from tests.dashboard.conftest import session_cookie
from tests.dispatch.checker import check_plan
from tests.dispatch.conftest import confirmed_order, shift_for
from tests.offline_sync.factories import phone_for
from tests.servers import run_celery_worker, save_screenshot, subprocess_environment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUTSIDE = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")


@pytest.fixture
def plan_worker(asgi_server):
    import os

    env = {**subprocess_environment(), "DATABASE_URL": servers.test_database_url(), "DJANGO_SECURE_SSL_REDIRECT": "0"}
    env["REDIS_URL"] = os.environ["REDIS_URL"]
    with run_celery_worker(env, queues="default", concurrency=1, name="planning-test") as worker:
        yield worker


def routes_of(plan: PlanDraft) -> dict[int, list[int]]:
    return {route["shift"]: [stop["order"] for stop in route["stops"]] for route in plan.routes}


def test_a_dispatcher_plans_drags_locks_replans_and_publishes(
    asgi_server, plan_worker, browser_context, office_clerk, driver_a, driver_b, depot, plan_date
):
    # given a depot's day: two vehicles, seven orders
    shifts = [shift_for(driver_a, depot, plan_date), shift_for(driver_b, depot, plan_date)]
    orders = [confirmed_order(office_clerk, plan_date, east_m=300 * i, north_m=150 * (i % 3)) for i in range(1, 8)]
    phone = phone_for(driver_b)
    cursor = phone.client.get("/api/v1/driver/changes", {"cursor": 0}).json()["cursor"]
    browser_context.add_cookies([{"name": "sessionid", "value": session_cookie(office_clerk), "url": asgi_server}])
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    blocked: list[str] = []
    page.route(OUTSIDE, lambda route: (blocked.append(route.request.url), route.abort()))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    status = page.locator("#plan-status")

    page.goto(f"{asgi_server}/dispatch/")
    page.fill("#plan-date", plan_date.isoformat())
    page.get_by_role("button", name="顯示").click()
    expect(status).to_have_attribute("data-status", "none")
    expect(page.locator("#unplanned-list > li")).to_have_count(len(orders))

    # when the dispatcher plans (the shortest limit the page allows)
    page.fill("#time-limit", "5")
    page.click("#plan-button")
    expect(status).to_have_attribute("data-status", re.compile("queued|running"))
    expect(page.locator("#plan-button")).to_be_disabled()
    expect(page.locator("#plan-progress")).to_be_visible()
    expect(status).to_have_attribute("data-status", "draft", timeout=60_000)

    # then every order is on a route, feasibly
    plan = PlanDraft.objects.get()
    planned = routes_of(plan)
    assert sorted(o for keys in planned.values() for o in keys) == sorted(o.pk for o in orders)
    expect(page.locator("#unplanned-list .empty")).to_have_count(1)
    expect(page.locator(".route")).to_have_count(2)
    save_screenshot(page, "planning-page-draft")

    # when a stop is dragged to the top of the other route
    source = max(shifts, key=lambda shift: len(planned.get(shift.pk, [])))
    target = next(shift for shift in shifts if shift != source)
    moved = planned[source.pk][-1]
    target_list = page.locator(f'ol.stops[data-shift="{target.pk}"]')
    page.locator(f'[data-testid="stop-{moved}"]').drag_to(
        target_list.locator("li").first, target_position={"x": 40, "y": 2}
    )

    # then it is there at once, checked, on the page and in the draft
    expect(target_list.locator("li.stop").first).to_have_attribute("data-order", str(moved))
    expect(page.locator("#plan-message")).to_contain_text("已移動")
    plan.refresh_from_db()
    assert routes_of(plan)[target.pk][0] == moved

    # when it is locked and the rest re-optimized
    page.click(f'[data-testid="lock-{moved}"]')
    expect(page.locator(f'[data-testid="lock-{moved}"]')).to_have_attribute("aria-pressed", "true")
    page.click("#reoptimize-button")
    expect(status).to_have_attribute("data-status", re.compile("queued|running"))
    expect(page.locator("#publish-button")).to_be_disabled()
    expect(status).to_have_attribute("data-status", "draft", timeout=60_000)

    # then the locked stop stayed on its route, still locked, and the plan is feasible
    plan.refresh_from_db()
    replanned = routes_of(plan)
    assert moved in replanned[target.pk]
    problem = day_build(date=plan_date, depot=depot).problem
    assert check_plan(problem=problem, routes=replanned, unplanned={}, locked={target.pk: [moved]}) == []
    expect(target_list.locator(f'[data-testid="lock-{moved}"]')).to_have_attribute("aria-pressed", "true")

    # when another stop is dragged back to the unplanned orders
    removed = next(order for keys in replanned.values() for order in keys if order != moved)
    page.locator(f'[data-testid="stop-{removed}"]').drag_to(page.locator("#unplanned-list"))

    # then it is off its route, listed as unplanned with the reason, in the draft too
    expect(page.locator(f'[data-testid="unplanned-{removed}"]')).to_contain_text("調度員移出")
    expect(page.locator("#plan-message")).to_contain_text("已移出路線")
    expect(page.locator(f'[data-testid="stop-{removed}"]')).to_have_count(0)
    plan.refresh_from_db()
    replanned = routes_of(plan)
    assert removed not in {order for keys in replanned.values() for order in keys}
    assert {"order": removed, "reason": "removed_by_dispatcher"} in plan.unplanned

    # when it is published, confirmed in the dialog
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#publish-button")

    # then the result is shown and the phones get the stops in the published order
    expect(page.locator("#plan-message")).to_contain_text("已發布", timeout=30_000)
    expect(status).to_have_attribute("data-status", "published")
    expect(page.locator("#plan-button")).to_be_enabled()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PUBLISHED
    stops = [RouteStop.objects.get(order_id=order) for order in replanned[target.pk]]
    assert [stop.route.driver_id for stop in stops] == [target.driver_id] * len(stops)
    expected_driver = driver_b if target.driver_id == driver_b.pk else driver_a
    feed_phone = phone if expected_driver == driver_b else phone_for(driver_a)
    body = feed_phone.client.get("/api/v1/driver/changes", {"cursor": cursor if feed_phone is phone else 0}).json()
    route_changes = [c for c in body["changes"] if c["kind"] == "route_changed"]
    assert [row[0] for row in route_changes[-1]["data"]["stops"]] == [stop.pk for stop in stops]
    assert not RouteStop.objects.filter(order_id=removed).exists()
    save_screenshot(page, "planning-page-published")
    assert blocked, "the map asked for tiles (and every one was blocked)"
    assert all("tile.openstreetmap.org" in url for url in blocked)
    assert errors == []
