"""GET /api/v1/driver/route: only what a driver needs, only their own route."""

import datetime

from luckygas.delivery.models import Customer, RouteStop


def test_bootstrap_gives_the_route_server_time_cursor_and_policy(route_a, phone_a, django_assert_max_num_queries):
    customer = Customer.objects.get(orders__stop__route=route_a, orders__stop__sequence=1)
    customer.delivery_notes = "狗會咬人"
    customer.tax_id = "04595257"
    customer.save()
    with django_assert_max_num_queries(8):
        response = phone_a.client.get("/api/v1/driver/route", {"date": route_a.date.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert body["policy"] == {
        "batch_size": 10,
        "purge_after_days": 7,
        "storage_budget_mb": 50,
        "gps_interval_online_seconds": 30,
        "gps_interval_offline_seconds": 30,
        "media_max_bytes": 2 * 1024 * 1024,
        "media_max_width": 800,
        "media_max_height": 600,
    }
    assert body["next_seq"] == 1
    assert body["route"]["id"] == route_a.pk
    stops = body["route"]["stops"]
    assert [stop["sequence"] for stop in stops] == [1, 2, 3]
    first = stops[0]
    assert set(first) == {
        "id",
        "sequence",
        "status",
        "version",
        "customer_name",
        "address",
        "phone",
        "latitude",
        "longitude",
        "slot",
        "planned_arrival_start",
        "planned_arrival_end",
        "items",
        "amount_to_collect",
        "driver_notes",
        "cash_collected",
        "empties_collected",
        "completed_at",
    }
    assert first["customer_name"] == customer.short_name
    assert first["address"] == customer.full_address
    assert first["items"] == [{"product": "20 公斤桶裝瓦斯", "size_kg": 20, "quantity": 1}]
    assert first["amount_to_collect"] == 950
    assert first["driver_notes"] == "後門進出\n狗會咬人"
    assert "04595257" not in response.content.decode()
    assert (first["planned_arrival_start"], first["planned_arrival_end"]) == (None, None)


def test_a_planned_stop_shows_its_arrival_window(route_a, phone_a):
    stop = route_a.stops.get(sequence=2)
    RouteStop.objects.filter(pk=stop.pk).update(
        planned_arrival_start=datetime.time(9, 30), planned_arrival_end=datetime.time(10, 30)
    )
    stops = phone_a.client.get("/api/v1/driver/route", {"date": route_a.date.isoformat()}).json()["route"]["stops"]
    assert [(item["planned_arrival_start"], item["planned_arrival_end"]) for item in stops] == [
        (None, None),
        ("09:30", "10:30"),
        (None, None),
    ]


def test_another_drivers_route_is_not_visible(route_a, phone_b):
    body = phone_b.client.get("/api/v1/driver/route", {"date": route_a.date.isoformat()}).json()
    assert body["route"] is None


def test_bad_date_and_missing_token_are_4xx(route_a, phone_a, client):
    response = phone_a.client.get("/api/v1/driver/route", {"date": "2026-13-45"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["date"]
    assert client.get("/api/v1/driver/route", {"date": "2026-01-01"}).status_code in {401, 403}
    response = client.get("/api/v1/driver/route", {"date": "2026-01-01"}, HTTP_AUTHORIZATION="Device nope")
    assert response.status_code == 401
