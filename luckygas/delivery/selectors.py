"""Permission-checked reads of the delivery domain."""

import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from luckygas.delivery.models import Order, Route, RouteStop
from luckygas.delivery.roles import ADMIN, MANAGER, OFFICE, user_has_role, user_is_driver


def route_list_for_user(
    user: AbstractBaseUser | AnonymousUser, *, date: datetime.date | None = None
) -> QuerySet[Route]:
    """Routes a user may see: office roles see all, a driver only their own, anyone else none."""
    routes = Route.objects.select_related("driver", "vehicle")
    if date is not None:
        routes = routes.filter(date=date)
    if user_is_driver(user):
        return routes.filter(driver__user=user)
    if user_has_role(user, OFFICE, MANAGER, ADMIN):
        return routes
    return routes.none()


def route_stop_list_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[RouteStop]:
    stops = RouteStop.objects.select_related("route__driver", "order__customer")
    if user_is_driver(user):
        return stops.filter(route__driver__user=user)
    if user_has_role(user, OFFICE, MANAGER, ADMIN):
        return stops
    return stops.none()


def order_list_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Order]:
    orders = Order.objects.select_related("customer")
    if user_is_driver(user):
        return orders.filter(stop__route__driver__user=user)
    if user_has_role(user, OFFICE, MANAGER, ADMIN):
        return orders
    return orders.none()
