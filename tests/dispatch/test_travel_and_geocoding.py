from decimal import Decimal

import pytest

from dispatch.geocoding import GeocodingError, NominatimGeocoder, geocoder
from dispatch.services import day_build
from dispatch.travel import OsrmSource, Point, StraightLineSource, TravelError, haversine_m, travel_source
from tests.dispatch.conftest import confirmed_order, shift_for
from tests.dispatch.fakes import FakeServer

TAIPEI_101 = Point(25.033964, 121.564468)
MAIN_STATION = Point(25.047800, 121.517000)


@pytest.fixture
def fake():
    with FakeServer() as server:
        yield server


def test_straight_line_source_is_haversine_times_road_factor_at_the_areas_speed():
    source = StraightLineSource(road_factor=1.5, speeds_kmh={"default": 20.0, "信義區": 36.0})
    points = [MAIN_STATION, Point(TAIPEI_101.latitude, TAIPEI_101.longitude, "信義區")]
    matrices = source.matrices(points)
    straight = haversine_m(*points)
    assert 5000 < straight < 5100  # about 5 km apart
    assert matrices.distances[0][1] == pytest.approx(straight * 1.5)
    assert matrices.durations[0][1] == pytest.approx(straight * 1.5 / 10.0)  # 36 km/h = 10 m/s
    assert matrices.durations[1][0] == pytest.approx(straight * 1.5 / (20 / 3.6))
    assert matrices.distances[0][0] == 0


def test_osrm_table_gives_the_servers_durations_and_distances(fake):
    matrices = OsrmSource(base_url=fake.url).matrices([MAIN_STATION, TAIPEI_101])
    path, query, _headers = fake.server.requests[0]
    assert path == "/table/v1/driving/121.517000,25.047800;121.564468,25.033964"
    assert query["annotations"] == ["duration,distance"]
    metres = abs(121.517 - 121.564468) * 100_700 + abs(25.0478 - 25.033964) * 111_000
    assert matrices.distances[0][1] == pytest.approx(metres, abs=0.1)
    assert matrices.durations[0][1] == pytest.approx(metres / 8, abs=0.1)


def test_osrm_unreachable_points_and_a_dead_server_are_travel_errors(fake):
    fake.server.unreachable = True
    with pytest.raises(TravelError, match="cannot be reached"):
        OsrmSource(base_url=fake.url).matrices([MAIN_STATION, TAIPEI_101])
    with pytest.raises(TravelError):
        OsrmSource(base_url="http://127.0.0.1:9", timeout=1).matrices([MAIN_STATION, TAIPEI_101])


def test_the_planner_uses_osrm_when_its_url_is_set(fake, settings, office_clerk, driver_a, depot, plan_date):
    settings.ROUTING_OSRM_URL = fake.url
    assert isinstance(travel_source(), OsrmSource)
    shift_for(driver_a, depot, plan_date)
    confirmed_order(office_clerk, plan_date, east_m=1000, north_m=1000)
    built = day_build(date=plan_date, depot=depot)
    assert len(fake.server.requests) == 1
    assert built.problem.distances[0][1] == pytest.approx(2000, rel=0.01)  # Manhattan, not the straight line


def test_nominatim_geocoder_finds_a_place_and_returns_none_for_no_match(fake, settings):
    fake.server.places["臺北市大安區忠孝東路四段1號"] = (25.0415, 121.5437)
    settings.GEOCODER_URL = fake.url
    found = geocoder().geocode(address="臺北市大安區忠孝東路四段1號")
    assert (found.latitude, found.longitude) == (Decimal("25.041500"), Decimal("121.543700"))
    _path, query, headers = fake.server.requests[0]
    assert query["countrycodes"] == ["tw"]
    assert headers["User-Agent"]
    assert geocoder().geocode(address="不存在的地址") is None


def test_nominatim_errors_are_geocoding_errors(fake):
    with pytest.raises(GeocodingError):
        NominatimGeocoder(base_url=fake.url + "/nope").geocode(address="x")


def test_no_geocoder_without_its_url(settings):
    settings.GEOCODER_URL = None
    assert geocoder() is None
