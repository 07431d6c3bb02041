"""Reads of the dashboard: who may see it, export jobs of a user, daily rollups."""

import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F, Q, QuerySet

from dashboard.metrics import ADMIN, MANAGER, Period
from dashboard.models import DailyRollup, ExportJob
from luckygas.delivery import roles
from luckygas.delivery.models import Order

# The orders table's sort keys (a leading "-" sorts descending) and the columns they sort by.
ORDER_SORTS = {
    "number": "pk",
    "delivery_date": "delivery_date",
    "created_at": "created_at",
    "amount": "total_amount",
    "status": "status",
}


def dashboard_audience_for_user(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """`admin` (every panel), `manager` (no finance, no system health) or None (no dashboard)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    names = set(user.groups.values_list("name", flat=True))
    if roles.ADMIN in names:
        return ADMIN
    if roles.MANAGER in names:
        return MANAGER
    return None


def export_job_list_for_user(user: AbstractBaseUser) -> QuerySet[ExportJob]:
    jobs = ExportJob.objects.all()
    if dashboard_audience_for_user(user) == ADMIN:
        return jobs
    return jobs.filter(requested_by=user)


def daily_rollup_list(*, start: datetime.date | None = None, end: datetime.date | None = None) -> QuerySet[DailyRollup]:
    rollups = DailyRollup.objects.all()
    if start is not None:
        rollups = rollups.filter(day__gte=start)
    if end is not None:
        rollups = rollups.filter(day__lte=end)
    return rollups.order_by("day")


def dashboard_order_list(*, period: Period, search: str = "", sort: str = "-number") -> QuerySet:
    """Orders due in `period` as plain rows for the dashboard's table, searched and sorted.

    `search` matches an order number, a customer code (whole, any case) or part of a customer's name;
    `sort` is a key of ORDER_SORTS, "-" first for descending. Ties are broken by order number so
    pages never overlap.
    """
    descending = sort.startswith("-")
    column = ORDER_SORTS[sort.removeprefix("-")]
    orders = Order.objects.filter(delivery_date__range=(period.start, period.end))
    if search:
        # Codes are stored upper-case; an exact match uses their unique index.
        matches = Q(customer__code=search.upper()) | Q(customer__short_name__icontains=search)
        if search.isascii() and search.isdecimal() and len(search) < 10:  # not '²', which int() refuses
            matches |= Q(pk=int(search))
        orders = orders.filter(matches)
    ordering = [F(column).desc() if descending else F(column).asc()]
    if column != "pk":
        ordering.append(F("pk").desc() if descending else F("pk").asc())
    return orders.order_by(*ordering).values(
        "pk",
        "delivery_date",
        "created_at",
        "status",
        "payment_method",
        "total_amount",
        customer_code=F("customer__code"),
        customer_name=F("customer__short_name"),
    )
