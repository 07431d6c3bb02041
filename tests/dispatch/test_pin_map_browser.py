"""The customer's pin placed by hand on the admin's Leaflet map, in a real Chromium (tiles blocked)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.dashboard.conftest import session_cookie
from tests.delivery.factories import CustomerFactory
from tests.servers import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_click_on_the_map_sets_the_pin_and_save_stores_it(asgi_server, browser_context, office_clerk):
    customer = CustomerFactory(latitude=None, longitude=None)
    browser_context.add_cookies([{"name": "sessionid", "value": session_cookie(office_clerk), "url": asgi_server}])
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    tiles: list[str] = []

    def only_our_server(route) -> None:
        if route.request.url.startswith(asgi_server):
            route.continue_()
        else:
            tiles.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_server)
    page.goto(f"{asgi_server}/admin/delivery/customer/{customer.pk}/change/")
    latitude, longitude = page.locator("#id_latitude"), page.locator("#id_longitude")
    expect(latitude).to_have_value("")

    # when the dispatcher clicks the middle of the map (it opens on Taipei Main Station)
    page.locator(".map-pin").click()

    # then both fields hold the clicked point, to 6 decimals
    expect(latitude).not_to_have_value("")
    expect(longitude).not_to_have_value("")
    clicked = (Decimal(latitude.input_value()), Decimal(longitude.input_value()))
    assert abs(clicked[0] - Decimal("25.0478")) < Decimal("0.01")
    assert abs(clicked[1] - Decimal("121.517")) < Decimal("0.01")
    assert all(len(value.split(".")[1]) == 6 for value in (latitude.input_value(), longitude.input_value()))
    assert tiles
    assert all(url.startswith("https://tile.openstreetmap.org/") for url in tiles)

    # when it is saved
    page.locator('input[name="_save"]').click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    # then the customer has the pin
    customer.refresh_from_db()
    assert (customer.latitude, customer.longitude) == clicked


def test_dragging_the_pin_moves_it(asgi_server, browser_context, office_clerk):
    customer = CustomerFactory(latitude=Decimal("25.047800"), longitude=Decimal("121.517000"))
    browser_context.add_cookies([{"name": "sessionid", "value": session_cookie(office_clerk), "url": asgi_server}])
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(asgi_server) else route.abort())
    page.goto(f"{asgi_server}/admin/delivery/customer/{customer.pk}/change/")
    marker = page.locator(".map-pin .leaflet-marker-icon")
    marker.scroll_into_view_if_needed()
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4

    # when the marker is dragged 100 px right and 100 px up
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + 10 * step, y - 10 * step)
        page.wait_for_timeout(20)
    page.mouse.up()

    # then the pin is north-east of where it was, in the form and after saving
    expect(page.locator("#id_latitude")).not_to_have_value("25.047800")
    latitude = Decimal(page.locator("#id_latitude").input_value())
    longitude = Decimal(page.locator("#id_longitude").input_value())
    assert latitude > Decimal("25.047800")
    assert longitude > Decimal("121.517000")
    save_screenshot(page, "customer-pin-map-dragged")
    page.locator('input[name="_save"]').click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    customer.refresh_from_db()
    assert (customer.latitude, customer.longitude) == (latitude, longitude)
