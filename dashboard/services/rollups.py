"""Rollup upkeep: incremental updates from delivery events, and the rebuild."""

import datetime
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, ExtractHour, TruncDate
from django.utils import timezone

from dashboard.models import (
    CustomerDailyRollup,
    DailyRollup,
    HourlyOrderCount,
)
from luckygas.delivery.models import Order, OrderStatus

logger = logging.getLogger(__name__)

ROLLUP_COUNTERS = ("orders_created", "orders_delivered", "orders_failed", "orders_cancelled", "revenue")
FINAL_ORDER_STATUSES = {OrderStatus.DELIVERED, OrderStatus.FAILED, OrderStatus.CANCELLED}


def local_day(moment: datetime.datetime) -> datetime.date:
    """The Asia/Taipei calendar day of an aware moment."""
    return timezone.localtime(moment, zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def _rollup_add(*, day: datetime.date, **increments: int) -> None:
    """Add to a day's counters in one statement (INSERT … ON CONFLICT DO UPDATE), safe under concurrency."""
    _rollup_add_days({day: increments})


def _rollup_add_days(increments_by_day: dict[datetime.date, dict[str, int]]) -> None:
    """Add to several days' counters in one INSERT … ON CONFLICT DO UPDATE (a row per day)."""
    rows = [(day, increments) for day, increments in sorted(increments_by_day.items()) if any(increments.values())]
    if not rows:
        return
    table = connection.ops.quote_name(DailyRollup._meta.db_table)
    columns = ", ".join(ROLLUP_COUNTERS)
    updates = ", ".join(f"{column} = {table}.{column} + EXCLUDED.{column}" for column in ROLLUP_COUNTERS)
    row_sql = "(" + ", ".join(["%s"] * (len(ROLLUP_COUNTERS) + 2)) + ")"
    sql = (
        f"INSERT INTO {table} (day, {columns}, updated_at) VALUES {', '.join([row_sql] * len(rows))} "  # noqa: S608
        f"ON CONFLICT (day) DO UPDATE SET {updates}, updated_at = EXCLUDED.updated_at"
    )
    now = timezone.now()
    params: list[object] = []
    for day, increments in rows:
        params += [day, *(increments.get(name, 0) for name in ROLLUP_COUNTERS), now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _hourly_add(*, day: datetime.date, hour: int, orders: int) -> None:
    table = connection.ops.quote_name(HourlyOrderCount._meta.db_table)
    sql = (
        f"INSERT INTO {table} (day, hour, orders_created) VALUES (%s, %s, %s) "  # noqa: S608
        f"ON CONFLICT (day, hour) DO UPDATE SET orders_created = {table}.orders_created + EXCLUDED.orders_created"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, hour, orders])


# Namespace of the advisory locks that serialise recounts of one customer's day (any constant).
CUSTOMER_ROLLUP_LOCK = 7_207_001


def customer_rollup_refresh(*, customer_id: int, day: datetime.date) -> None:
    """Recount one customer's orders created on one Asia/Taipei day, and their amount, from the orders.

    A recount, not an increment: running it twice, or after an order's lines changed, is right.
    """
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two recounts of the same customer run one after the other, so the later one's count
            # starts after the earlier one committed and can never overwrite it with older data.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [CUSTOMER_ROLLUP_LOCK, customer_id])
        totals = Order.objects.filter(
            customer_id=customer_id, created_at__gte=start, created_at__lt=start + datetime.timedelta(days=1)
        ).aggregate(orders=Count("id"), amount=Sum("total_amount"))
        if not totals["orders"]:
            CustomerDailyRollup.objects.filter(customer_id=customer_id, day=day).delete()
            return
        CustomerDailyRollup.objects.bulk_create(
            [
                CustomerDailyRollup(
                    customer_id=customer_id, day=day, orders_created=totals["orders"], amount=totals["amount"] or 0
                )
            ],
            update_conflicts=True,
            unique_fields=["day", "customer"],
            update_fields=["orders_created", "amount"],
        )


def rollup_record_order_created(*, order_id: int) -> None:
    """Count a newly created order on its Asia/Taipei creation day and hour, and on its customer's day."""
    row = Order.objects.filter(pk=order_id).values("created_at", "customer_id").first()
    if row is None:
        return
    local = timezone.localtime(row["created_at"], zoneinfo.ZoneInfo(settings.TIME_ZONE))
    with transaction.atomic():
        _rollup_add(day=local.date(), orders_created=1)
        _hourly_add(day=local.date(), hour=local.hour, orders=1)
    customer_rollup_refresh(customer_id=row["customer_id"], day=local.date())


def rollup_record_order_updated(*, order_id: int) -> None:
    """An order's lines (so its amount) changed: recount its customer's day."""
    row = Order.objects.filter(pk=order_id).values("created_at", "customer_id").first()
    if row is None:
        return
    customer_rollup_refresh(customer_id=row["customer_id"], day=local_day(row["created_at"]))


def rollup_record_status_changes(*, changes: Sequence[tuple[int, str]]) -> None:
    """Count orders that reached a final status (delivered, failed, cancelled) on the day they did.

    Takes every change of one commit together (a sync batch delivers ten stops): one read of the
    orders and one upsert of the days they touch, whatever the number of orders.
    """
    wanted = {(order_id, to_status) for order_id, to_status in changes if to_status in FINAL_ORDER_STATUSES}
    if not wanted:
        return
    rows = (
        Order.objects.filter(pk__in={order_id for order_id, _status in wanted})
        .order_by()  # the model's ordering would only make PostgreSQL sort
        .values("pk", "status", "total_amount", "status_changed_at", "delivered_at")
    )
    by_day: dict[datetime.date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ROLLUP_COUNTERS, 0))
    for row in rows:
        if (row["pk"], row["status"]) not in wanted:
            # A later change already superseded this one; the rollup counts the order's current state only once.
            continue
        if row["status"] == OrderStatus.DELIVERED:
            day = by_day[local_day(row["delivered_at"])]
            day["orders_delivered"] += 1
            day["revenue"] += row["total_amount"]
        else:
            by_day[local_day(row["status_changed_at"])][f"orders_{row['status']}"] += 1
    _rollup_add_days(by_day)


def rollup_rebuild(*, start: datetime.date | None = None, end: datetime.date | None = None) -> int:
    """Recompute the rollups of [start, end] (every day when omitted) from the orders. Returns the days written.

    Needed after bulk loads (`seed_demo`, imports) that bypass the services and their events.
    """
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    orders = Order.objects.all()
    bounds: dict[str, datetime.datetime] = {}
    if start is not None:
        bounds["gte"] = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    if end is not None:
        bounds["lt"] = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)

    def in_range(field: str):
        return orders.filter(**{f"{field}__{lookup}": value for lookup, value in bounds.items()})

    with transaction.atomic():
        # Locked before reading: events arriving meanwhile wait for the new rows instead of being lost.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (DailyRollup, HourlyOrderCount, CustomerDailyRollup):
                    cursor.execute(f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} IN EXCLUSIVE MODE")
        days: dict[datetime.date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ROLLUP_COUNTERS, 0))
        hourly: dict[tuple[datetime.date, int], int] = {}
        created = (
            in_range("created_at")
            .annotate(day=TruncDate("created_at", tzinfo=tz), hour=ExtractHour("created_at", tzinfo=tz))
            .values("day", "hour")
            .annotate(count=Count("id"))
            .order_by()
        )
        for row in created:
            days[row["day"]]["orders_created"] += row["count"]
            hourly[(row["day"], row["hour"])] = row["count"]
        delivered = (
            in_range("delivered_at")
            .filter(status=OrderStatus.DELIVERED)
            .annotate(day=TruncDate("delivered_at", tzinfo=tz))
            .values("day")
            .annotate(count=Count("id"), amount=Sum("total_amount"))
            .order_by()
        )
        for row in delivered:
            days[row["day"]]["orders_delivered"] = row["count"]
            days[row["day"]]["revenue"] = row["amount"] or 0
        ended = (
            in_range("status_changed_at")
            .filter(status__in=[OrderStatus.FAILED, OrderStatus.CANCELLED])
            .annotate(day=TruncDate("status_changed_at", tzinfo=tz))
            .values("day", "status")
            .annotate(count=Count("id"))
            .order_by()
        )
        for row in ended:
            days[row["day"]][f"orders_{row['status']}"] = row["count"]

        for model in (DailyRollup, HourlyOrderCount, CustomerDailyRollup):
            existing = model.objects.all()
            if start is not None:
                existing = existing.filter(day__gte=start)
            if end is not None:
                existing = existing.filter(day__lte=end)
            existing.delete()
        DailyRollup.objects.bulk_create(
            [DailyRollup(day=day, **counters) for day, counters in sorted(days.items())], batch_size=1000
        )
        HourlyOrderCount.objects.bulk_create(
            [
                HourlyOrderCount(day=day, hour=hour, orders_created=count)
                for (day, hour), count in sorted(hourly.items())
            ],
            batch_size=2000,
        )
        _customer_rollup_insert(in_range("created_at"), tz)
    return len(days)


def _customer_rollup_insert(orders, tz: zoneinfo.ZoneInfo) -> None:
    """Write the per-customer day rows of `orders` in one INSERT … SELECT (a million orders never
    pass through Python), in day order so a period's rows sit together on disk."""
    per_customer_day = (
        orders.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day", "customer_id")
        .annotate(orders_created=Count("id"), amount=Coalesce(Sum("total_amount"), 0))
        .order_by("day", "customer_id")
    )
    select_sql, params = per_customer_day.query.sql_with_params()
    table = connection.ops.quote_name(CustomerDailyRollup._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, customer_id, orders_created, amount) {select_sql}",
            params,
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")
