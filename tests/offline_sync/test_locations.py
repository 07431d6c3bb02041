"""POST /api/v1/driver/locations and the driver_positions() contract."""

import datetime

from django.utils import timezone

from offline_sync.models import LocationPoint
from offline_sync.selectors import driver_positions
from tests.offline_sync.factories import started_route


def points(stop_id, *seqs, minutes_ago=0):
    now = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return [
        {
            "seq": seq,
            "latitude": "25.033964",
            "longitude": f"121.5{seq:04d}",
            "accuracy_m": 8,
            "recorded_at": (now + datetime.timedelta(seconds=seq)).isoformat(),
            "stop": stop_id,
        }
        for seq in seqs
    ]


def test_points_are_appended_once_per_device_and_seq(route_a, phone_a, driver_a):
    stop = route_a.stops.first()
    response = phone_a.client.post("/api/v1/driver/locations", {"points": points(stop.pk, 1, 2, 3)}, format="json")
    assert response.json() == {"stored": 3, "duplicates": 0}
    response = phone_a.client.post("/api/v1/driver/locations", {"points": points(stop.pk, 3, 4)}, format="json")
    assert response.json() == {"stored": 1, "duplicates": 1}
    assert LocationPoint.objects.filter(device=phone_a.device).count() == 4
    assert set(LocationPoint.objects.values_list("stop_id", flat=True)) == {stop.pk}
    positions = driver_positions()
    assert len(positions) == 1
    assert positions[0]["driver_id"] == driver_a.pk
    assert positions[0]["driver"] == "陳建宏"
    assert positions[0]["longitude"] == 121.50004


def test_points_on_another_drivers_stop_or_malformed_are_400(route_a, phone_b):
    stop = route_a.stops.first()
    response = phone_b.client.post("/api/v1/driver/locations", {"points": points(stop.pk, 1)}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["points"]
    bad = points(None, 1)
    bad[0]["latitude"] = "123.0"
    response = phone_b.client.post("/api/v1/driver/locations", {"points": bad}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["points.0.latitude"]
    assert not LocationPoint.objects.exists()


def test_positions_are_the_same_without_distinct_on_as_the_embedded_sqlite_computes_them(
    route_a, phone_a, driver_a, phone_b, driver_b, monkeypatch
):
    """`make run` serves SQLite, which has no DISTINCT ON: the dashboard's map used to fail there."""
    route_b = started_route(driver_b, stops=1)
    phone_a.client.post(
        "/api/v1/driver/locations", {"points": points(route_a.stops.first().pk, 1, 2, 3)}, format="json"
    )
    phone_b.client.post("/api/v1/driver/locations", {"points": points(route_b.stops.first().pk, 7, 8)}, format="json")
    with_distinct_on = driver_positions()
    from django.db import connection

    monkeypatch.setattr(connection.features, "can_distinct_on_fields", False)
    assert driver_positions() == with_distinct_on
    # newest first: B's last point (seq 8) is recorded 8 s after its batch's now, A's (seq 3) 3 s after
    assert [(p["driver_id"], p["longitude"]) for p in with_distinct_on] == [
        (driver_b.pk, 121.50008),
        (driver_a.pk, 121.50003),
    ]
