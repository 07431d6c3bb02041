"""Dispatch in the admin: shifts refused with field errors, plans read-only with a link to the planning page,
and customers' pins from the geocoder (the fake Nominatim)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from dispatch.models import PlanDraft, PlanStatus, VehicleShift
from tests.delivery.factories import CustomerFactory
from tests.dispatch.conftest import shift_for
from tests.dispatch.fakes import FakeServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with FakeServer() as server:
        yield server


def shift_form(depot, driver, date, **changes):
    data = {
        "date": date.isoformat(),
        "depot": depot.pk,
        "vehicle": driver.default_vehicle.pk,
        "driver": driver.pk,
        "starts_at": "08:00",
        "ends_at": "18:00",
        "capacity_kg": "1200",
        "capacity_slots": "40",
    }
    data.update(changes)
    return data


def test_office_adds_a_shift(client, office_clerk, depot, driver_a, plan_date):
    client.force_login(office_clerk)
    response = client.post("/admin/dispatch/vehicleshift/add/", shift_form(depot, driver_a, plan_date))
    assert response.status_code == 302
    shift = VehicleShift.objects.get()
    assert (shift.driver, shift.capacity_kg, shift.capacity_slots) == (driver_a, 1200, 40)


def test_a_shift_ending_before_it_starts_is_a_form_error_on_its_end(client, office_clerk, depot, driver_a, plan_date):
    client.force_login(office_clerk)
    response = client.post(
        "/admin/dispatch/vehicleshift/add/", shift_form(depot, driver_a, plan_date, starts_at="14:00", ends_at="09:00")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"ends_at": ["班次結束時間必須晚於開始時間。"]}
    assert not VehicleShift.objects.exists()


def test_a_driver_or_vehicle_twice_on_one_date_is_a_form_error_naming_it(
    client, office_clerk, depot, driver_a, driver_b, plan_date
):
    shift_for(driver_a, depot, plan_date)
    client.force_login(office_clerk)
    # the same driver in another vehicle, and another driver in the same vehicle
    twice = shift_form(depot, driver_a, plan_date, vehicle=driver_b.default_vehicle.pk)
    response = client.post("/admin/dispatch/vehicleshift/add/", twice)
    assert response.context["adminform"].form.errors == {"driver": [f"此司機在 {plan_date} 已有班次。"]}
    same_vehicle = shift_form(depot, driver_b, plan_date, vehicle=driver_a.default_vehicle.pk)
    response = client.post("/admin/dispatch/vehicleshift/add/", same_vehicle)
    assert response.context["adminform"].form.errors == {"vehicle": [f"此車輛在 {plan_date} 已有班次。"]}
    assert VehicleShift.objects.count() == 1


def test_copy_to_next_day_copies_and_skips_a_driver_already_working_then(
    client, office_clerk, depot, driver_a, driver_b, plan_date
):
    first, second = shift_for(driver_a, depot, plan_date), shift_for(driver_b, depot, plan_date)
    next_day = plan_date + datetime.timedelta(days=1)
    shift_for(driver_b, depot, next_day)
    client.force_login(office_clerk)
    response = client.post(
        "/admin/dispatch/vehicleshift/",
        {"action": "copy_to_next_day", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "已複製 1 個班次。",
        "1 個班次未複製：司機或車輛當天已有班次。",
    ]
    assert sorted(VehicleShift.objects.filter(date=next_day).values_list("driver", flat=True)) == sorted(
        [driver_a.pk, driver_b.pk]
    )


def test_a_plan_is_read_only_with_its_totals_unplanned_reasons_and_a_link_to_the_planning_page(
    client, office_clerk, depot, plan_date
):
    plan = PlanDraft.objects.create(
        date=plan_date,
        depot=depot,
        status=PlanStatus.DRAFT,
        progress=100,
        routes=[{"shift": 1, "stops": [{"order": 7}, {"order": 8}]}, {"shift": 2, "stops": []}],
        unplanned=[{"order": 9, "reason": "no_coordinates"}],
        distance_m=12345,
    )
    client.force_login(office_clerk)
    page = client.get(f"/admin/dispatch/plandraft/{plan.pk}/change/").content.decode()
    assert f'href="/dispatch/?plan={plan.pk}"' in page
    assert "<li>9: 沒有座標</li>" in page
    assert "12.3" in page
    changelist = client.get("/admin/dispatch/plandraft/")
    assert changelist.status_code == 200
    assert client.post(f"/admin/dispatch/plandraft/{plan.pk}/change/", {"status": "published"}).status_code == 403
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_the_depot_form_has_a_pin_map_with_the_tile_url_from_settings(client, office_clerk, depot, settings):
    settings.DISPATCH_MAP_TILE_URL = "http://tiles.invalid/{z}/{x}/{y}.png"
    client.force_login(office_clerk)
    page = client.get(f"/admin/dispatch/depot/{depot.pk}/change/").content.decode()
    assert 'data-tile-url="http://tiles.invalid/{z}/{x}/{y}.png"' in page
    assert 'data-longitude-input="id_longitude"' in page
    assert "/static/vendor/leaflet/leaflet." in page
    assert "/static/delivery/js/map_pin." in page


def geocode(client, customers, action="geocode_customers"):
    response = client.post(
        "/admin/delivery/customer/",
        {"action": action, "_selected_action": [customer.pk for customer in customers]},
        follow=True,
    )
    assert response.status_code == 200
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def test_geocoding_places_found_pins_reports_not_found_and_keeps_hand_placed_ones(client, office_clerk, fake, settings):
    settings.GEOCODER_URL = fake.url
    found = CustomerFactory(
        code="C1",
        short_name="甲",
        city="臺北市",
        district="大安區",
        address="忠孝東路四段1號",
        latitude=None,
        longitude=None,
    )
    missing = CustomerFactory(
        code="C2", short_name="乙", city="臺北市", district="信義區", address="無此路1號", latitude=None, longitude=None
    )
    by_hand = CustomerFactory(
        code="C3",
        short_name="丙",
        city="臺北市",
        district="中正區",
        address="重慶南路一段1號",
        latitude=Decimal("25.040000"),
        longitude=Decimal("121.510000"),
    )
    fake.server.places["臺北市大安區忠孝東路四段1號"] = (25.0415, 121.5437)
    fake.server.places["臺北市中正區重慶南路一段1號"] = (25.0401, 121.5121)
    client.force_login(office_clerk)

    messages = geocode(client, [found, missing, by_hand])

    assert messages == [
        ("success", "已為 1 位客戶放置圖釘：C1 甲"),
        ("info", "1 位客戶已有圖釘，保留不變：C3 丙"),
        ("warning", "1 位客戶的地址查無結果：C2 乙"),
    ]
    found.refresh_from_db(), missing.refresh_from_db(), by_hand.refresh_from_db()
    assert (found.latitude, found.longitude) == (Decimal("25.041500"), Decimal("121.543700"))
    assert (missing.latitude, missing.longitude) == (None, None)
    assert (by_hand.latitude, by_hand.longitude) == (Decimal("25.040000"), Decimal("121.510000"))
    # the hand-placed pin was not even looked up
    assert [query["q"] for _path, query, _headers in fake.server.requests] == [
        ["臺北市大安區忠孝東路四段1號"],
        ["臺北市信義區無此路1號"],
    ]


def test_geocoding_replaces_a_pin_only_when_asked(client, office_clerk, fake, settings):
    settings.GEOCODER_URL = fake.url
    customer = CustomerFactory(
        code="C3",
        short_name="丙",
        city="臺北市",
        district="中正區",
        address="重慶南路一段1號",
        latitude=Decimal("25.040000"),
        longitude=Decimal("121.510000"),
    )
    fake.server.places["臺北市中正區重慶南路一段1號"] = (25.0401, 121.5121)
    client.force_login(office_clerk)

    messages = geocode(client, [customer], action="geocode_customers_replacing_pins")

    assert messages == [("success", "已為 1 位客戶放置圖釘：C3 丙")]
    customer.refresh_from_db()
    assert (customer.latitude, customer.longitude) == (Decimal("25.040100"), Decimal("121.512100"))


def test_a_geocoder_error_is_reported_per_customer_and_changes_nothing(client, office_clerk, fake, settings):
    settings.GEOCODER_URL = fake.url + "/broken"
    customer = CustomerFactory(code="C1", short_name="甲", latitude=None, longitude=None)
    client.force_login(office_clerk)

    messages = geocode(client, [customer])

    assert len(messages) == 1
    level, text = messages[0]
    assert level == "error"
    assert text.startswith("地理編碼服務查詢失敗（1 位客戶）：C1 甲 (")
    customer.refresh_from_db()
    assert customer.latitude is None


def test_without_a_geocoder_the_action_says_so_and_changes_nothing(client, office_clerk, settings):
    settings.GEOCODER_URL = None
    customer = CustomerFactory(latitude=None, longitude=None)
    client.force_login(office_clerk)

    assert geocode(client, [customer]) == [("error", "尚未設定地理編碼服務（GEOCODER_URL）：請在地圖上手動放置圖釘。")]
    customer.refresh_from_db()
    assert customer.latitude is None
