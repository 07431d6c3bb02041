"""What the driver app's browser tests do with a page: log in, go offline, read IndexedDB."""

import time

from luckygas.delivery import services as delivery_services
from luckygas.delivery.models import Order
from tests.offline_sync.factories import PASSWORD
from tests.threads import run_in_thread

API = "**/api/v1/driver/**"
COUNT_STORES = """async () => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("luckygas-driver");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const names = ["keys", "meta", "routes", "outbox", "problems", "media", "locations"];
  const counts = {};
  for (const name of names) {
    counts[name] = await new Promise((resolve) => {
      const request = db.transaction(name).objectStore(name).count();
      request.onsuccess = () => resolve(request.result);
    });
  }
  const pendingMedia = await new Promise((resolve) => {
    const request = db.transaction("media").objectStore("media").getAll();
    request.onsuccess = () => resolve(request.result.filter((item) => !item.uploaded).length);
  });
  db.close();
  return { ...counts, pendingMedia };
}"""


def open_app(page, base_url: str) -> None:
    """Open the app and wait until its service worker controls the page (it then opens offline)."""
    page.goto(f"{base_url}/driver/")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)


def open_app_and_log_in(page, base_url: str, username: str) -> None:
    open_app(page, base_url)
    log_in(page, username)


def log_in(page, username: str) -> None:
    page.get_by_label("帳號").fill(username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.wait_for_selector("li.stop", timeout=20_000)
    page.wait_for_function("document.body.dataset.ready === 'true'")


def go_offline(context) -> None:
    context.route(API, lambda route: route.abort("internetdisconnected"))
    context.set_offline(True)


def go_online(context) -> None:
    context.unroute(API)
    context.set_offline(False)


def stop_button(page, index: int):
    return page.locator("li.stop").nth(index).locator("button.stop-open")


def draw_signature(page) -> None:
    canvas = page.locator("canvas.signature")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + box["height"] * (0.7 - 0.4 * (step % 2)), steps=3)
    page.mouse.up()


def wait_until_synced(page, timeout: int = 30_000) -> None:
    page.wait_for_function("document.querySelector('#queue')?.classList.contains('synced')", timeout=timeout)


def wait_until(page, expression: str, timeout: float = 20.0):
    """Poll an async expression until it is truthy (wait_for_function does not await promises)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)


def cancel_in_office(order_id: int) -> None:
    """The office cancels an order, on a thread of its own: Playwright's event loop owns the test's
    thread, and the websocket nudge (async_to_sync) refuses to run beside it."""
    run_in_thread(
        lambda: delivery_services.order_cancel(order=Order.objects.get(pk=order_id), reason="客戶取消"),
        timeout=60,
        name="office cancel",
    )
