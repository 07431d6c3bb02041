import pytest
from django.utils import timezone

from luckygas.delivery import services
from luckygas.delivery.models import OrderStatus
from luckygas.delivery.selectors import route_list_for_user
from tests.delivery.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_routes(driver_a, driver_b):
    today = timezone.localdate()
    route_a = services.route_assign_orders(
        driver=driver_a, date=today, orders=[OrderFactory(status=OrderStatus.CONFIRMED)]
    )
    route_b = services.route_assign_orders(
        driver=driver_b, date=today, orders=[OrderFactory(status=OrderStatus.CONFIRMED)]
    )
    return route_a, route_b


def test_driver_sees_only_their_own_routes(two_routes, driver_a):
    route_a, _route_b = two_routes
    assert list(route_list_for_user(driver_a.user)) == [route_a]


def test_office_sees_every_route(two_routes, office_clerk):
    assert set(route_list_for_user(office_clerk)) == set(two_routes)


def test_route_api_gives_a_driver_only_their_own_route(client, two_routes, driver_a):
    route_a, _route_b = two_routes
    client.force_login(driver_a.user)

    response = client.get("/api/v1/routes/")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [route_a.pk]


def test_driver_cannot_open_admin(client, two_routes, driver_a):
    client.force_login(driver_a.user)
    route_b = two_routes[1]

    for url in ("/admin/delivery/route/", f"/admin/delivery/route/{route_b.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/admin/login/")


def test_even_a_staff_driver_never_sees_another_drivers_route_in_admin(client, two_routes, driver_a):
    route_a, route_b = two_routes
    driver_a.user.is_staff = True
    driver_a.user.save()
    client.force_login(driver_a.user)

    listing = client.get("/admin/delivery/route/")
    other = client.get(f"/admin/delivery/route/{route_b.pk}/change/")
    stops = client.get("/admin/delivery/routestop/")

    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [route_a]
    assert other.status_code == 302  # admin redirects a missing object to the list
    assert set(stops.context["cl"].queryset.values_list("route_id", flat=True)) == {route_a.pk}


def test_anonymous_gets_nothing_from_the_route_api(client, two_routes):
    assert client.get("/api/v1/routes/").status_code in (401, 403)


def test_bad_date_filter_is_a_400_naming_the_field(client, office_clerk):
    client.force_login(office_clerk)
    response = client.get("/api/v1/routes/?date=yesterday")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["date"]
