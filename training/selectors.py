"""Is this practice data? Asked by every path that sends something out of the system."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from luckygas.delivery.models import Customer, Driver, Order, Route


def practice_customers() -> QuerySet[Customer]:
    return Customer.objects.filter(practice_sets__isnull=False).distinct()


def practice_drivers() -> QuerySet[Driver]:
    return Driver.objects.filter(practice_set__isnull=False)


def practice_orders() -> QuerySet[Order]:
    return Order.objects.filter(customer__in=practice_customers())


def practice_routes() -> QuerySet[Route]:
    return Route.objects.filter(driver__in=practice_drivers())


def customer_is_practice(*, customer_id: int | None) -> bool:
    return customer_id is not None and Customer.objects.filter(pk=customer_id, practice_sets__isnull=False).exists()


def phone_is_practice(*, phone: str) -> bool:
    """A number (E.164) that belongs to a practice customer: a message to it is practice, whoever wrote it."""
    return bool(phone) and practice_customers().filter(Q(mobile=phone) | Q(phone=phone)).exists()


def practice_customer_names(*, customer_ids: Iterable[int]) -> list[str]:
    """The codes and names of the practice customers among `customer_ids`, for an error message."""
    return [
        f"{code} {name}"
        for code, name in practice_customers()
        .filter(pk__in=set(customer_ids))
        .order_by("code")
        .values_list("code", "short_name")
    ]
