"""Admin › Route stops › "Move selected stops to another route": a dispatcher picks the target route."""

import datetime

import pytest
from django.utils import timezone

from luckygas.delivery import services
from luckygas.delivery.models import OrderStatus, RouteStop, StopStatus
from tests.delivery.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _started_route(driver, *, stops: int, date: datetime.date | None = None):
    orders = [OrderFactory(status=OrderStatus.CONFIRMED) for _ in range(stops)]
    route = services.route_assign_orders(driver=driver, date=date or timezone.localdate(), orders=orders)
    return services.route_start(route=route)


def _move(client, stops, **extra):
    return client.post(
        "/admin/delivery/routestop/",
        {"action": "reassign_stops", "_selected_action": [str(stop.pk) for stop in stops], **extra},
    )


def test_dispatcher_chooses_a_route_of_the_same_day_and_the_stops_move(client, office_clerk, driver_a, driver_b):
    # given
    route_a = _started_route(driver_a, stops=3)
    route_b = _started_route(driver_b, stops=1)
    _started_route(driver_b, stops=1, date=timezone.localdate() + datetime.timedelta(days=1))
    first, second, _third = route_a.stops.order_by("sequence")
    client.force_login(office_clerk)
    # when the dispatcher picks two stops, the form offers only the routes of that day
    form = _move(client, [first, second])
    assert form.status_code == 200
    assert list(form.context["form"].fields["route"].queryset) == sorted(
        [route_a, route_b], key=lambda route: route.driver.name
    )
    # and chooses driver B's route
    response = _move(client, [first, second], apply="1", route=route_b.pk)
    # then both stops are B's last stops, with new versions
    assert response.status_code == 302
    assert list(route_b.stops.order_by("sequence").values_list("pk", "sequence", "version"))[1:] == [
        (first.pk, 2, 2),
        (second.pk, 3, 2),
    ]
    assert route_a.stops.count() == 1


def test_a_delivered_stop_is_not_moved_and_the_dispatcher_is_told_why(client, office_clerk, driver_a, driver_b):
    route_a = _started_route(driver_a, stops=1)
    route_b = _started_route(driver_b, stops=1)
    stop = route_a.stops.get()
    services.route_stop_record_outcome(stop=stop, status=StopStatus.DELIVERED, completed_at=timezone.now())
    client.force_login(office_clerk)
    client.cookies["django_language"] = "en"

    response = _move(client, [stop], apply="1", route=route_b.pk)

    assert response.status_code == 302
    messages = [str(message) for message in response.wsgi_request._messages]
    assert messages == ["A stop that is already Delivered cannot be moved."]
    assert RouteStop.objects.get(pk=stop.pk).route_id == route_a.pk


def test_a_route_of_another_day_is_refused_by_the_form(client, office_clerk, driver_a, driver_b):
    route_a = _started_route(driver_a, stops=1)
    tomorrow = _started_route(driver_b, stops=1, date=timezone.localdate() + datetime.timedelta(days=1))
    client.force_login(office_clerk)

    response = _move(client, list(route_a.stops.all()), apply="1", route=tomorrow.pk)

    assert response.status_code == 200
    assert "route" in response.context["form"].errors
    assert route_a.stops.count() == 1
