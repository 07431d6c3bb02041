"""The driver app's use of the phone, end to end in headless Chromium against the real app.

GPS (Playwright's geolocation override feeds `watchPosition`), persistent storage and the
storage budget, and Web Push. The server runs with a 1-second online GPS interval and VAPID
keys generated here. Chromium's real push service is Google's, outside this closed network, so
`PushManager.subscribe` is replaced in the page by one that hands out an endpoint on a local
push service speaking RFC 8030/8291; the server encrypts to it, the test decrypts what arrived
with the browser keys, and the service worker gets those bytes as a real `push` event (CDP
`ServiceWorker.deliverPushMessage`).
"""

import base64
import json
from collections.abc import Iterator

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from luckygas.delivery.models import RouteStop
from offline_sync import tasks
from offline_sync.models import ChangeLogEntry, DriverDevice, LocationPoint
from tests.offline_sync.factories import started_route
from tests.offline_sync.push_service import LocalPushService
from tests.offline_sync_pwa.conftest import serve_driver_app
from tests.offline_sync_pwa.pages import (
    cancel_in_office,
    go_offline,
    go_online,
    log_in,
    open_app,
    open_app_and_log_in,
    stop_button,
    wait_until,
)
from tests.servers import save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups_restored"),
]

MB = 1024 * 1024
TAIPEI_101 = {"latitude": 25.033964, "longitude": 121.564468, "accuracy": 8}
XINYI_HALL = {"latitude": 25.040857, "longitude": 121.567904, "accuracy": 8}  # about 850 m north
SONGSHAN = {"latitude": 25.050412, "longitude": 121.577705, "accuracy": 8}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def vapid_key_pair() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64(private), b64(public)


VAPID_PRIVATE, VAPID_PUBLIC = vapid_key_pair()


@pytest.fixture(scope="module")
def device_app_server(django_db_setup) -> Iterator[str]:
    yield from serve_driver_app(
        {
            "SYNC_GPS_INTERVAL_ONLINE_SECONDS": "1",
            "WEBPUSH_VAPID_PRIVATE_KEY": VAPID_PRIVATE,
            "WEBPUSH_VAPID_PUBLIC_KEY": VAPID_PUBLIC,
        }
    )


POINTS = """() => new Promise((resolve) => {
  const request = indexedDB.open("luckygas-driver");
  request.onsuccess = () => {
    const tx = request.result.transaction(["locations", "meta"]);
    const queued = tx.objectStore("locations").count();
    const next = tx.objectStore("meta").get("next_point_seq");
    tx.oncomplete = () => {
      request.result.close();
      resolve({ queued: queued.result, kept: next.result ? next.result.value - 1 : 0 });
    };
  };
})"""


def point_counts(page) -> dict:
    """How many GPS points the app kept so far, and how many still wait to be sent."""
    return page.evaluate(POINTS)


def wait_for_kept_points(page, count: int) -> None:
    wait_until(page, f"({POINTS})().then((points) => points.kept >= {count})", timeout=15)


@pytest.fixture
def route(driver_a):
    return started_route(driver_a, stops=3)


def device_of(driver) -> DriverDevice:
    return DriverDevice.objects.get(driver=driver, is_revoked=False)


# --- GPS -------------------------------------------------------------------------------------


def test_gps_points_reach_the_server_once_with_the_current_stop(device_app_server, browser_context, route, driver_a):
    # given: location allowed, the phone at Taipei 101, and the first answer to a locations
    # batch lost after the server stored it (so the app sends those points again)
    context = browser_context
    context.grant_permissions(["geolocation"], origin=device_app_server)
    context.set_geolocation(TAIPEI_101)
    answers: list[dict] = []

    def lose_first_answer(locations_route):
        response = locations_route.fetch()
        answers.append(response.json())
        if len(answers) == 1:
            locations_route.abort("connectionreset")
        else:
            locations_route.fulfill(response=response)

    context.route("**/api/v1/driver/locations", lose_first_answer)
    stops = list(RouteStop.objects.filter(route=route).order_by("sequence"))
    page = context.new_page()
    page.clock.install()  # the real time flows; fast_forward() jumps over the offline interval
    open_app_and_log_in(page, device_app_server, driver_a.user.username)

    # when: on the list (heading to stop 1) the first fix is kept and sent, its answer lost
    wait_for_kept_points(page, 1)
    page.get_by_role("button", name="立即同步").click()
    page.wait_for_function("document.querySelector('#queue').classList.contains('synced')")
    # …the driver drives to stop 2 and opens its screen
    stop_button(page, 1).click()
    page.clock.fast_forward(2_000)
    context.set_geolocation(XINYI_HALL)
    wait_for_kept_points(page, 2)

    # …then offline: a fix inside 30 s is dropped, one after 30 s is kept for later
    go_offline(context)
    page.wait_for_function("document.querySelector('#connection').textContent === '離線'")
    page.clock.fast_forward(5_000)
    context.set_geolocation(SONGSHAN)
    page.wait_for_timeout(1_000)
    assert point_counts(page)["kept"] == 2
    page.clock.fast_forward(31_000)
    context.set_geolocation(TAIPEI_101)
    wait_for_kept_points(page, 3)

    # …and back online, the queue goes out with the next sync
    go_online(context)
    page.get_by_role("button", name="立即同步").click()
    wait_until(page, f"({POINTS})().then((points) => points.queued === 0)")
    assert point_counts(page)["kept"] == 3

    # then: every point is stored once, in order, each with the stop current when it was taken
    device = device_of(driver_a)
    points = list(LocationPoint.objects.filter(device=device).order_by("point_seq"))
    seqs = [point.point_seq for point in points]
    assert seqs == list(range(1, len(points) + 1))
    assert len(points) == 3, [(p.latitude, p.longitude, p.stop_id) for p in points]
    assert [(float(p.latitude), float(p.longitude), p.stop_id) for p in points] == [
        (TAIPEI_101["latitude"], TAIPEI_101["longitude"], stops[0].pk),  # on the list: the next stop
        (XINYI_HALL["latitude"], XINYI_HALL["longitude"], stops[1].pk),  # on stop 2's screen
        (TAIPEI_101["latitude"], TAIPEI_101["longitude"], stops[1].pk),  # offline, 30 s later
    ]
    assert all(point.driver_id == driver_a.pk and point.accuracy_m == 8 for point in points)
    # the lost answer's points came again and were recognised as duplicates
    assert len(answers) >= 2
    assert answers[0]["stored"] >= 1
    assert answers[1]["duplicates"] >= answers[0]["stored"]


# --- storage ---------------------------------------------------------------------------------

STORAGE_SPY = f"""
(() => {{
  window.__persistCalls = 0;
  const persist = StorageManager.prototype.persist;
  StorageManager.prototype.persist = function () {{
    window.__persistCalls += 1;
    return persist.call(this);
  }};
  // The browser's usage figure, set by the test: estimate() is the browser's API, not ours.
  window.__storageUsage = {5 * MB};
  StorageManager.prototype.estimate = async function () {{
    return {{ usage: window.__storageUsage, quota: {4000 * MB} }};
  }};
}})();
"""


def test_persistent_storage_is_asked_at_login_and_the_budget_warns_at_80_percent(
    device_app_server, browser_context, route, driver_a
):
    context = browser_context
    context.add_init_script(STORAGE_SPY)
    page = context.new_page()
    open_app(page, device_app_server)
    page.wait_for_function("document.body.dataset.ready === 'true'")
    assert page.evaluate("window.__persistCalls") == 0  # not before the driver logs in

    log_in(page, driver_a.user.username)
    assert page.evaluate("window.__persistCalls") == 1
    assert page.locator("#storage").text_content() == "儲存空間 5.0 / 50 MB"
    assert page.locator("#storage-warning").count() == 0

    # when: the browser reports 41 MB used (82 % of the 50 MB route-day budget)
    page.evaluate(f"window.__storageUsage = {41 * MB}")
    page.get_by_role("button", name="立即同步").click()

    # then: a warning at the top of the list, and the figure at the bottom
    warning = page.locator("#storage-warning")
    warning.wait_for(timeout=10_000)
    # nothing waits to be uploaded, so the advice is to free space on the phone
    assert warning.text_content() == "儲存空間快滿了（82%）：請清出手機的儲存空間。"
    assert page.locator("#storage").text_content() == "儲存空間 41.0 / 50 MB"
    save_screenshot(page, "driver-storage-warning")

    # …and it goes away once the space is freed
    page.evaluate(f"window.__storageUsage = {39 * MB}")
    page.get_by_role("button", name="立即同步").click()
    warning.wait_for(state="detached", timeout=10_000)


# --- Web Push --------------------------------------------------------------------------------


def push_manager_script(endpoint: str, p256dh: str, auth: str) -> str:
    return f"""
(() => {{
  const keys = {{ p256dh: "{p256dh}", auth: "{auth}" }};
  const json = {{ endpoint: {json.dumps(endpoint)}, expirationTime: null, keys }};
  let current = null;
  PushManager.prototype.getSubscription = async function () {{ return current; }};
  PushManager.prototype.subscribe = async function (options) {{
    const key = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)));
    window.__subscribedWith = {{
      userVisibleOnly: options.userVisibleOnly,
      applicationServerKey: key.replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, ""),
    }};
    current = {{ endpoint: json.endpoint, options, toJSON: () => json, unsubscribe: async () => true }};
    return current;
  }};
}})();
"""


def test_a_route_change_pushed_by_the_server_shows_a_notification(
    device_app_server, browser_context, route, driver_a, settings
):
    # given: notifications allowed and a browser key pair for the subscription
    browser_key = ec.generate_private_key(ec.SECP256R1())
    p256dh = b64(
        browser_key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    auth_secret = b"driver-app-auth!"
    context = browser_context
    context.grant_permissions(["notifications"], origin=device_app_server)
    with LocalPushService(path="/push/driver-phone") as push_service:
        context.add_init_script(push_manager_script(push_service.url, p256dh, b64(auth_secret)))
        page = context.new_page()

        # when: the driver logs in, the app subscribes with the server's VAPID key
        open_app_and_log_in(page, device_app_server, driver_a.user.username)
        page.wait_for_function("window.__subscribedWith !== undefined", timeout=20_000)
        assert page.evaluate("window.__subscribedWith") == {
            "userVisibleOnly": True,
            "applicationServerKey": VAPID_PUBLIC,
        }
        device = device_of(driver_a)
        for _ in range(100):
            device.refresh_from_db()
            if device.push_subscription:
                break
            page.wait_for_timeout(100)
        assert device.push_subscription == {
            "endpoint": push_service.url,
            "keys": {"p256dh": p256dh, "auth": b64(auth_secret)},
        }

        # …the office cancels a stop, and the server pushes to the phone
        stop = RouteStop.objects.filter(route=route).order_by("sequence").last()
        cancel_in_office(stop.order_id)
        cursor = ChangeLogEntry.objects.filter(driver=driver_a).latest("pk").pk
        settings.WEBPUSH_VAPID_PRIVATE_KEY = VAPID_PRIVATE
        settings.WEBPUSH_VAPID_PUBLIC_KEY = VAPID_PUBLIC
        assert tasks.send_web_push.apply(args=[device.pk, {"type": "changes", "cursor": cursor}]).get() == "sent"

    headers, body = push_service.received[0]
    assert headers["content-encoding"] == "aes128gcm"
    plaintext = http_ece.decrypt(body, private_key=browser_key, auth_secret=auth_secret, version="aes128gcm")
    assert json.loads(plaintext) == {"type": "changes", "cursor": cursor}

    # then: the service worker, given those bytes as a push event, shows the notification
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    for _ in range(50):
        if registrations:
            break
        page.wait_for_timeout(100)
    registration = next(item for item in registrations if item["scopeURL"].endswith("/driver/"))
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": device_app_server, "registrationId": registration["registrationId"], "data": plaintext.decode()},
    )
    wait_until(page, "navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((list) => list.length)")
    shown = page.evaluate(
        """navigator.serviceWorker.ready
          .then((r) => r.getNotifications())
          .then((list) => list.map((n) => ({ title: n.title, body: n.body, tag: n.tag })))"""
    )
    assert shown == [
        {"title": "路線已更新", "body": "辦公室更動了您的路線（1 項），請打開 App 查看。", "tag": "route_changed"}
    ]
