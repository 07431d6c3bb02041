"""An order at 23:59 and one at 00:01 Asia/Taipei land on different days everywhere."""

import datetime
import io

import openpyxl
import pytest

from dashboard.exports import REPORTS
from dashboard.metrics import ADMIN, METRICS, Period, snapshot_get
from dashboard.models import DailyRollup, HourlyOrderCount
from dashboard.services import report_write_file, rollup_rebuild, rollup_record_status_changes
from luckygas.delivery.models import Order, OrderStatus
from tests.dashboard.helpers import delivered_order_at, taipei
from tests.delivery.factories import OrderFactory

MONDAY = datetime.date(2026, 11, 9)


def naive(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """Excel has no time zones: cells hold Asia/Taipei wall-clock times."""
    return taipei(year, month, day, hour, minute).replace(tzinfo=None)


TUESDAY = datetime.date(2026, 11, 10)


@pytest.fixture
def orders_around_midnight(db, django_capture_on_commit_callbacks):
    late = delivered_order_at(taipei(2026, 11, 9, 23, 59), capture=django_capture_on_commit_callbacks)
    early = delivered_order_at(taipei(2026, 11, 10, 0, 1), capture=django_capture_on_commit_callbacks)
    return late, early


def rollup_rows() -> list[tuple]:
    return list(DailyRollup.objects.order_by("day").values_list("day", "orders_created", "orders_delivered", "revenue"))


def test_events_count_each_order_on_its_taipei_day_and_hour(orders_around_midnight):
    assert rollup_rows() == [(MONDAY, 1, 1, 950), (TUESDAY, 1, 1, 950)]
    assert list(HourlyOrderCount.objects.order_by("day").values_list("day", "hour", "orders_created")) == [
        (MONDAY, 23, 1),
        (TUESDAY, 0, 1),
    ]


def test_rebuild_from_orders_gives_the_same_rollups_as_the_events(orders_around_midnight):
    incremental = rollup_rows()
    DailyRollup.objects.all().delete()
    assert rollup_rebuild() == 2
    assert rollup_rows() == incremental


def test_every_metric_splits_the_two_days(orders_around_midnight):
    kpis = snapshot_get(METRICS["kpis"], Period(TUESDAY, TUESDAY), ADMIN)["data"]
    assert (kpis["orders_today"], kpis["orders_yesterday"]) == (1, 1)
    assert (kpis["revenue_today"], kpis["revenue_yesterday"]) == (950, 950)
    finance = snapshot_get(METRICS["finance"], Period(MONDAY, TUESDAY), ADMIN)["data"]
    assert finance["revenue_by_day"] == [
        {"day": "2026-11-09", "revenue": 950, "delivered": 1},
        {"day": "2026-11-10", "revenue": 950, "delivered": 1},
    ]
    customers = snapshot_get(METRICS["customers"], Period(MONDAY, MONDAY), ADMIN)["data"]
    assert customers["active_customers"] == 1
    pattern = customers["orders_by_weekday_hour"]
    assert pattern[0][23] == 1  # Monday 23:00
    assert sum(map(sum, pattern)) == 1
    tuesday = snapshot_get(METRICS["customers"], Period(TUESDAY, TUESDAY), ADMIN)["data"]["orders_by_weekday_hour"]
    assert tuesday[1][0] == 1  # Tuesday 00:00
    pipeline_monday = snapshot_get(METRICS["pipeline"], Period(MONDAY, MONDAY), ADMIN)["data"]
    assert {s["status"]: s["count"] for s in pipeline_monday["statuses"]}["delivered"] == 1


def test_exports_split_the_two_days(orders_around_midnight, tmp_path):
    finance = tmp_path / "finance.xlsx"
    report_write_file(
        report_name="finance", period=Period(MONDAY, TUESDAY), audience=ADMIN, export_format="xlsx", path=finance
    )
    sheet = openpyxl.load_workbook(io.BytesIO(finance.read_bytes())).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows == [(naive(2026, 11, 9), 1, 950), (naive(2026, 11, 10), 1, 950)]
    orders = tmp_path / "orders.xlsx"
    report_write_file(
        report_name="orders", period=Period(MONDAY, MONDAY), audience=ADMIN, export_format="xlsx", path=orders
    )
    rows = list(openpyxl.load_workbook(orders).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    assert rows[0][1] == naive(2026, 11, 9)
    assert rows[0][2] == naive(2026, 11, 9, 23, 59)
    assert "orders" in REPORTS


def test_status_changes_of_one_commit_are_counted_per_day_in_one_upsert(db, django_assert_max_num_queries):
    # given orders that reached final states on two Taipei days, and one whose change was superseded
    def order_in(status: str, moment: datetime.datetime, amount: int) -> Order:
        order = OrderFactory()
        Order.objects.filter(pk=order.pk).update(
            status=status,
            total_amount=amount,
            status_changed_at=moment,
            delivered_at=moment if status == OrderStatus.DELIVERED else None,
        )
        return order

    late = order_in(OrderStatus.DELIVERED, taipei(2026, 11, 9, 23, 59), 950)
    early = order_in(OrderStatus.DELIVERED, taipei(2026, 11, 10, 0, 1), 1900)
    failed = order_in(OrderStatus.FAILED, taipei(2026, 11, 10, 9, 0), 700)
    cancelled = order_in(OrderStatus.CANCELLED, taipei(2026, 11, 10, 10, 0), 500)
    superseded = order_in(OrderStatus.CANCELLED, taipei(2026, 11, 10, 11, 0), 800)
    changes = [
        (late.pk, OrderStatus.OUT_FOR_DELIVERY),  # not final: not counted
        (late.pk, OrderStatus.DELIVERED),
        (early.pk, OrderStatus.DELIVERED),
        (early.pk, OrderStatus.DELIVERED),  # the same fact twice counts once
        (failed.pk, OrderStatus.FAILED),
        (cancelled.pk, OrderStatus.CANCELLED),
        (superseded.pk, OrderStatus.DELIVERED),  # the order was cancelled afterwards
    ]
    # when they are recorded together: one read and one upsert
    with django_assert_max_num_queries(2):
        rollup_record_status_changes(changes=changes)
    # then
    rows = DailyRollup.objects.order_by("day").values_list(
        "day", "orders_delivered", "revenue", "orders_failed", "orders_cancelled"
    )
    assert list(rows) == [(MONDAY, 1, 950, 0, 0), (TUESDAY, 1, 1900, 1, 1)]
    # and recording them again adds to the same rows (an increment, as each event is counted once)
    rollup_record_status_changes(changes=[(failed.pk, OrderStatus.FAILED)])
    assert DailyRollup.objects.get(day=TUESDAY).orders_failed == 2
