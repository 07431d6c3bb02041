"""The driver app end to end: real headless Chromium, the real app under uvicorn, PostgreSQL.

Offline is Playwright's offline mode plus `context.route` aborting the sync API, because the
offline mode does not stop a service worker's own requests (context routes do intercept them).
"""

import datetime
import io
import json
import re

import pytest
from django.utils import timezone
from PIL import Image

from luckygas.delivery.models import OrderStatusChange, RouteStop, StopStatus
from offline_sync.models import ActionResult, CashCollection, MediaUpload, StopNote, SyncAction
from tests.offline_sync.factories import started_route
from tests.offline_sync_pwa.pages import (
    COUNT_STORES,
    cancel_in_office,
    draw_signature,
    go_offline,
    go_online,
    open_app,
    open_app_and_log_in,
    stop_button,
    wait_until_synced,
)
from tests.servers import save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups_restored"),
]


@pytest.fixture
def route(driver_a):
    return started_route(driver_a, stops=4)


@pytest.fixture
def big_photo(tmp_path):
    """A 1600×1200 camera-sized JPEG: the app must shrink it to 800×600 before storing it."""
    image = Image.new("RGB", (1600, 1200), (30, 120, 200))
    for x in range(0, 1600, 100):
        for y in range(0, 1200, 100):
            image.paste((240, 200, 40) if (x + y) % 200 else (20, 20, 20), (x, y, x + 50, y + 50))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    path = tmp_path / "cylinder.jpg"
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("background_sync", [True, False], ids=["background-sync", "no-SyncManager-iphone-path"])
def test_a_day_worked_offline_arrives_once_after_a_reload(
    driver_app_server, browser_context, route, driver_a, big_photo, background_sync
):
    # given: a driver logged in online, the app controlled by its service worker
    context = browser_context
    if not background_sync:
        context.add_init_script("delete window.SyncManager;")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_app_and_log_in(page, driver_app_server, driver_a.user.username)
    assert page.evaluate("'SyncManager' in window") is background_sync
    stops = list(RouteStop.objects.filter(route=route).order_by("sequence"))
    assert page.locator("li.stop").count() == 4

    # when: the network goes away
    go_offline(context)
    page.wait_for_function("document.querySelector('#connection').textContent === '離線'")
    # offline with nothing saved yet, the bar does not claim that everything is synced
    assert page.locator("#queue").text_content() == "手機上沒有待同步的資料"

    # …the driver completes stop 1 with cash, empties, a photo and a signature
    stop_button(page, 0).click()
    page.get_by_label("收現金額（元）").fill(str(stops[0].order.total_amount))
    page.get_by_label("回收空瓶（支）").fill("1")
    page.get_by_label("備註").fill("放在後門")
    page.locator("input[type=file]").set_input_files(str(big_photo))
    page.get_by_text("已拍照（800×600）").wait_for()
    draw_signature(page)
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, f"driver-stop-screen-{'bg' if background_sync else 'no-bg'}")
    page.get_by_role("button", name="完成").click()
    page.wait_for_selector("li.stop")

    # …the next stop is scrolled wholly below the sticky status bar
    bar_bottom = page.evaluate("document.getElementById('status').getBoundingClientRect().bottom")
    next_top = page.evaluate("document.querySelectorAll('li.stop')[1].getBoundingClientRect().top")
    assert next_top >= bar_bottom
    assert page.locator("#queue").text_content().startswith("8 筆已存在手機，等待同步")

    # …tries to skip stop 2 without a reason and is asked for one; nothing is queued
    stop_button(page, 1).click()
    page.get_by_label("備註").fill("按門鈴沒人應")
    page.get_by_role("button", name="略過").click()
    page.get_by_text("請選擇略過原因。").wait_for()
    assert page.evaluate(COUNT_STORES)["outbox"] == 6
    page.locator(".skip-reasons").scroll_into_view_if_needed()
    save_screenshot(page, f"driver-skip-reason-{'bg' if background_sync else 'no-bg'}")
    # …then chooses one and skips stop 2, and fails stop 3
    page.get_by_label("客戶不在").check()
    page.get_by_role("button", name="略過").click()
    page.wait_for_selector("li.stop")
    stop_button(page, 2).click()
    page.get_by_label("備註").fill("瓦斯開關故障")
    page.get_by_role("button", name="失敗").click()
    page.wait_for_selector("li.stop")

    queued = page.evaluate(COUNT_STORES)
    # complete, cash, empties, note, photo and signature attachments; skip; fail
    assert queued["outbox"] == 8
    assert queued["pendingMedia"] == 2
    if background_sync:
        tags = page.evaluate("navigator.serviceWorker.ready.then((r) => r.sync.getTags())")
        assert "luckygas-outbox" in tags

    # …and reloads the page while still offline: the app comes back from the cache, queue intact
    page.reload()
    page.wait_for_selector("li.stop", timeout=20_000)
    page.wait_for_function("document.body.dataset.ready === 'true'")
    assert page.locator("#connection").text_content() == "離線"
    assert re.fullmatch(r"10 筆已存在手機，等待同步 · 最舊 \d+ (秒|分鐘)", page.locator("#queue").text_content())
    assert page.evaluate(COUNT_STORES)["outbox"] == 8
    chips = [page.locator("li.stop").nth(index).locator(".chip").text_content() for index in range(4)]
    assert chips == ["已完成待同步", "已略過待同步", "失敗待同步", "待送"]
    save_screenshot(page, f"driver-stop-list-offline-{'bg' if background_sync else 'no-bg'}")
    assert SyncAction.objects.count() == 0  # nothing reached the server while offline

    # then: back online, everything arrives exactly once
    go_online(context)
    wait_until_synced(page)
    counts = page.evaluate(COUNT_STORES)
    assert (counts["outbox"], counts["pendingMedia"], counts["problems"]) == (0, 0, 0)
    for stop in stops:
        stop.refresh_from_db()
    assert [stop.status for stop in stops] == [
        StopStatus.DELIVERED,
        StopStatus.SKIPPED,
        StopStatus.FAILED,
        StopStatus.PENDING,
    ]
    assert stops[0].cash_collected == stops[0].order.total_amount
    assert stops[0].empties_collected == 1
    outcome_actions = SyncAction.objects.filter(action_type__in=["complete", "skip", "fail"])
    assert sorted(outcome_actions.values_list("stop_id", "action_type", "result")) == sorted(
        [
            (stops[0].pk, "complete", ActionResult.APPLIED),
            (stops[1].pk, "skip", ActionResult.APPLIED),
            (stops[2].pk, "fail", ActionResult.APPLIED),
        ]
    )
    # the driver's extras arrived as their own actions, each exactly once
    extras = SyncAction.objects.exclude(action_type__in=["complete", "skip", "fail", "attach_media"])
    assert sorted(extras.values_list("stop_id", "action_type", "result", "body__payload")) == sorted(
        [
            (stops[0].pk, "collect_cash", ActionResult.APPLIED, {"amount": stops[0].order.total_amount}),
            (stops[0].pk, "collect_empties", ActionResult.APPLIED, {"count": 1}),
            (stops[0].pk, "note", ActionResult.APPLIED, {"text": "放在後門"}),
        ]
    )
    assert SyncAction.objects.count() == 8
    assert SyncAction.objects.get(action_type="skip").body["payload"] == {"reason": "客戶不在：按門鈴沒人應"}
    assert list(CashCollection.objects.filter(stop=stops[0]).values_list("amount", flat=True)) == [
        stops[0].order.total_amount
    ]
    assert list(StopNote.objects.filter(stop=stops[0]).values_list("text", flat=True)) == ["放在後門"]
    assert StopNote.objects.exclude(stop=stops[0]).count() == 0
    for stop, status in zip(stops[:3], ["delivered", "failed", "failed"], strict=True):
        if stop.status == StopStatus.DELIVERED:
            assert OrderStatusChange.objects.filter(order=stop.order, to_status=status).count() == 1
    media = MediaUpload.objects.filter(uploaded_at__isnull=False)
    assert sorted(media.values_list("stop_id", "kind")) == [(stops[0].pk, "photo"), (stops[0].pk, "signature")]
    photo = media.get(kind="photo")
    assert (photo.width, photo.height, photo.content_type) == (800, 600, "image/jpeg")
    with photo.file.open("rb") as handle:
        assert Image.open(handle).size == (800, 600)
    assert page.locator("#queue").text_content() == "已全部同步"
    assert errors == []


def test_a_response_lost_after_the_server_committed_is_resent_as_a_duplicate(
    driver_app_server, browser_context, route, driver_a
):
    # given: the first sync response is dropped after the server has committed the batch
    context = browser_context
    page = context.new_page()
    open_app_and_log_in(page, driver_app_server, driver_a.user.username)
    answers: list[dict] = []

    def drop_first_answer(sync_route):
        response = sync_route.fetch()  # the server applies and commits the batch…
        if not answers:
            answers.append({"dropped": response.json()})
            sync_route.abort("connectionreset")  # …and the phone never hears back
        else:
            answers.append(response.json())
            sync_route.fulfill(response=response)

    context.route("**/api/v1/driver/sync", drop_first_answer)
    stop = RouteStop.objects.filter(route=route).order_by("sequence").first()

    # when: the driver completes a stop with cash while online
    stop_button(page, 0).click()
    page.get_by_label("收現金額（元）").fill("950")
    page.get_by_role("button", name="完成").click()
    # the chip reads 已完成待同步 while queued and 已完成 once the server acknowledged it
    page.wait_for_function(
        "document.querySelector('li.stop .chip')?.textContent === '已完成'"
        " && document.querySelector('#queue').classList.contains('synced')",
        timeout=30_000,
    )

    # then: the resend got `duplicate` with the stored first result, and nothing happened twice
    assert len(answers) >= 2
    dropped = answers[0]["dropped"]["results"]
    assert [result["result"] for result in dropped] == ["applied", "applied"]  # complete, collect_cash
    resend = answers[1]["results"]
    assert [(result["result"], result.get("first_result")) for result in resend] == [("duplicate", "applied")] * 2
    assert [result["id"] for result in resend] == [result["id"] for result in dropped]
    stop.refresh_from_db()
    assert (stop.status, stop.cash_collected) == (StopStatus.DELIVERED, 950)
    assert sorted(SyncAction.objects.values_list("action_type", flat=True)) == ["collect_cash", "complete"]
    assert list(CashCollection.objects.filter(stop=stop).values_list("amount", flat=True)) == [950]
    assert OrderStatusChange.objects.filter(order=stop.order, to_status="delivered").count() == 1
    assert page.evaluate(COUNT_STORES)["outbox"] == 0


def test_a_stop_the_office_cancels_disappears_within_seconds(driver_app_server, browser_context, route, driver_a):
    page = browser_context.new_page()
    open_app_and_log_in(page, driver_app_server, driver_a.user.username)
    page.wait_for_function("document.querySelector('#connection').textContent === '連線中'")
    stop = RouteStop.objects.filter(route=route).order_by("sequence").last()
    name = stop.order.customer.short_name
    assert page.locator("li.stop", has_text=name).count() == 1
    page.wait_for_function("document.body.dataset.live === 'true'", timeout=20_000)  # websocket authenticated

    # The office cancels it.
    cancel_in_office(stop.order_id)

    page.locator("li.stop", has_text=name).wait_for(state="detached", timeout=15_000)
    assert page.locator("li.stop").count() == 3


def test_data_older_than_seven_days_is_purged_key_first(driver_app_server, browser_context, route, driver_a):
    # given: a driver who worked offline today, leaving data on the phone
    context = browser_context
    page = context.new_page()
    open_app_and_log_in(page, driver_app_server, driver_a.user.username)
    go_offline(context)
    stop_button(page, 1).click()
    page.get_by_label("地址錯誤").check()
    page.get_by_role("button", name="略過").click()
    page.wait_for_selector("li.stop")
    before = page.evaluate(COUNT_STORES)
    assert (before["keys"], before["routes"], before["outbox"]) == (2, 1, 1)  # device key + today's key

    # when: the phone is opened again eight days later
    eight_days_later = timezone.now() + datetime.timedelta(days=8)
    page.clock.install(time=eight_days_later)
    page.reload()
    page.get_by_role("button", name="登入").wait_for(timeout=20_000)

    # then: the keys are gone and so is every record they protected
    after = page.evaluate(COUNT_STORES)
    assert {
        name: after[name] for name in ("keys", "routes", "outbox", "media", "locations", "problems")
    } == dict.fromkeys(("keys", "routes", "outbox", "media", "locations", "problems"), 0)
    assert page.get_by_text("超過 7 天的資料已從手機刪除。").count() == 1
    remaining_meta = page.evaluate(
        """() => new Promise((resolve) => {
          const request = indexedDB.open("luckygas-driver");
          request.onsuccess = () => {
            const all = request.result.transaction("meta").objectStore("meta").getAll();
            all.onsuccess = () => resolve(JSON.stringify(all.result));
          };
        })"""
    )
    assert "session" not in [item["name"] for item in json.loads(remaining_meta)]


def test_the_login_screen_tells_the_queue_instead_of_checking_forever(driver_app_server, browser_context):
    page = browser_context.new_page()

    open_app(page, driver_app_server)
    page.wait_for_function("document.body.dataset.ready === 'true'")

    assert page.get_by_role("button", name="登入").is_visible()
    assert page.locator("#connection").text_content() == "連線中"
    assert page.locator("#queue").text_content() == "已全部同步"


def test_the_saved_offline_notice_stops_promising_a_sync_once_everything_is_sent(
    driver_app_server, browser_context, route, driver_a
):
    # given: a stop completed offline
    page = browser_context.new_page()
    open_app_and_log_in(page, driver_app_server, driver_a.user.username)
    name = RouteStop.objects.filter(route=route).order_by("sequence").first().order.customer.short_name
    go_offline(browser_context)
    page.wait_for_function("document.querySelector('#connection').textContent === '離線'")
    stop_button(page, 0).click()
    page.get_by_role("button", name="完成").click()
    page.wait_for_selector("li.stop")
    assert page.locator("p.notice").text_content() == f"{name}：已完成。已儲存，連線後會自動同步。"

    # when: the signal is back and the phone sends it
    go_online(browser_context)
    wait_until_synced(page)

    # then
    page.wait_for_function("document.querySelector('p.notice').textContent.endsWith('已完成。')")
    assert page.locator("p.notice").text_content() == f"{name}：已完成。"
