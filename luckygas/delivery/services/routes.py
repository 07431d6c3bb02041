"""Routes: a driver's day, assigning orders, starting, reordering and reassigning stops."""

import datetime
from collections.abc import Iterable, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery import events
from luckygas.delivery.models import (
    Driver,
    Order,
    OrderStatus,
    Route,
    RouteStatus,
    RouteStop,
    StopStatus,
)
from luckygas.delivery.services.orders import order_transition
from luckygas.delivery.services.stops import route_stops_lock


def route_get_or_create(*, driver: Driver, date: datetime.date) -> Route:
    route, _created = Route.objects.get_or_create(
        driver=driver, date=date, defaults={"vehicle": driver.default_vehicle}
    )
    return route


def route_assign_orders(
    *, driver: Driver, date: datetime.date, orders: Iterable[Order], actor: AbstractBaseUser | None = None
) -> Route:
    """Append confirmed orders to the driver's route for the day, as stops in the given order.

    Every order must be confirmed and not yet on a route; otherwise nothing is assigned.
    """
    if not driver.is_active:
        raise ValidationError({"driver": _("This driver is inactive.")})
    order_ids = [order.pk for order in orders]
    with transaction.atomic():
        route = route_get_or_create(driver=driver, date=date)
        Route.objects.select_for_update().filter(pk=route.pk).get()
        locked = {
            order.pk: order for order in Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk")
        }
        problems = [
            str(locked[order_id])
            for order_id in order_ids
            if locked[order_id].status != OrderStatus.CONFIRMED or RouteStop.objects.filter(order_id=order_id).exists()
        ]
        if problems:
            raise ValidationError(
                {
                    "orders": _("Only confirmed orders that are not on a route can be assigned: %(orders)s")
                    % {"orders": ", ".join(problems)}
                }
            )
        next_sequence = (route.stops.aggregate(last=Max("sequence"))["last"] or 0) + 1
        for offset, order_id in enumerate(order_ids):
            RouteStop.objects.create(route=route, order=locked[order_id], sequence=next_sequence + offset)
            order_transition(order=locked[order_id], to_status=OrderStatus.SCHEDULED, actor=actor)
        events.publish(events.RouteChanged(route_id=route.pk))
    return route


def route_start(*, route: Route, actor: AbstractBaseUser | None = None) -> Route:
    """The driver leaves the depot: scheduled orders on the route go out for delivery."""
    with transaction.atomic():
        Route.objects.select_for_update().filter(pk=route.pk).update(status="in_progress")
        # Stops and their orders locked in the push's order (stop pk, a stop before its order).
        stops = route_stops_lock(stop_ids=route.stops.values_list("pk", flat=True))
        for stop in stops.values():
            if stop.order.status == OrderStatus.SCHEDULED:
                order_transition(order=stop.order, to_status=OrderStatus.OUT_FOR_DELIVERY, actor=actor)
        events.publish(events.RouteChanged(route_id=route.pk))
    route.refresh_from_db()
    return route


def route_stop_reorder(*, route: Route, stop_ids: Sequence[int]) -> Route:
    """Give the route's stops a new order; every stop of the route must be listed once."""
    with transaction.atomic():
        stops = {stop.pk: stop for stop in RouteStop.objects.select_for_update().filter(route=route).order_by("pk")}
        if sorted(stop_ids) != sorted(stops):
            raise ValidationError({"stop_ids": _("List every stop of the route exactly once.")})
        for sequence, stop_id in enumerate(stop_ids, start=1):
            if stops[stop_id].sequence != sequence:
                RouteStop.objects.filter(pk=stop_id).update(sequence=sequence, version=F("version") + 1)
        events.publish(events.RouteChanged(route_id=route.pk))
    return route


def route_stop_reassign(*, stop: RouteStop, route: Route, actor: AbstractBaseUser | None = None) -> RouteStop:
    """Move a stop that is not final to another route of the same day, as its last stop; raises its version.

    The old driver's phone sees the stop removed (and gets a conflict for anything it still
    sends about it), the new driver's phone sees it added.
    """
    with transaction.atomic():
        routes = {
            locked.pk: locked
            for locked in Route.objects.select_for_update().filter(pk__in=[stop.route_id, route.pk]).order_by("pk")
        }
        locked_stop = route_stops_lock(stop_ids=[stop.pk])[stop.pk]
        target = routes[route.pk]
        if locked_stop.route_id == target.pk:
            raise ValidationError({"route": _("The stop is already on this route.")})
        if locked_stop.is_final:
            raise ValidationError(
                {
                    "route": _("A stop that is already %(status)s cannot be moved.")
                    % {"status": StopStatus(locked_stop.status).label}
                }
            )
        if target.date != locked_stop.route.date:
            raise ValidationError({"route": _("Choose a route of the same day as the stop's route.")})
        if target.status == RouteStatus.COMPLETED:
            raise ValidationError({"route": _("This route is completed.")})
        if not target.driver.is_active:
            raise ValidationError({"route": _("This route's driver is inactive.")})
        old_route_id = locked_stop.route_id
        sequence = (target.stops.aggregate(last=Max("sequence"))["last"] or 0) + 1
        RouteStop.objects.filter(pk=locked_stop.pk).update(
            route=target, sequence=sequence, version=F("version") + 1, updated_at=timezone.now()
        )
        if target.status == RouteStatus.IN_PROGRESS and locked_stop.order.status == OrderStatus.SCHEDULED:
            order_transition(order=locked_stop.order, to_status=OrderStatus.OUT_FOR_DELIVERY, actor=actor)
        events.publish(events.RouteChanged(route_id=old_route_id))
        events.publish(events.RouteChanged(route_id=target.pk))
    stop.refresh_from_db()
    return stop
