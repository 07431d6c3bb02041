"""Taiwan business days with overrides, and the file date of each upload window."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from banking import calendar
from banking.models import BusinessDayOverride

pytestmark = pytest.mark.django_db
TAIPEI = ZoneInfo("Asia/Taipei")
CUTOFF = datetime.time(20, 0)


def test_weekends_and_seeded_holidays_are_closed() -> None:
    assert calendar.is_business_day(datetime.date(2026, 8, 4)) is True  # a Tuesday
    assert calendar.is_business_day(datetime.date(2026, 8, 8)) is False  # a Saturday
    assert calendar.is_business_day(datetime.date(2026, 10, 9)) is False  # National Day (observed), from the migration


def test_a_typhoon_day_override_closes_a_weekday() -> None:
    BusinessDayOverride.objects.create(date=datetime.date(2026, 8, 5), is_business_day=False, reason="颱風假")
    assert calendar.next_business_day(datetime.date(2026, 8, 4)) == datetime.date(2026, 8, 6)


def test_a_make_up_workday_opens_a_saturday() -> None:
    BusinessDayOverride.objects.create(date=datetime.date(2026, 8, 8), is_business_day=True, reason="補行上班")
    assert calendar.next_business_day(datetime.date(2026, 8, 7)) == datetime.date(2026, 8, 8)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime.datetime(2026, 8, 4, 6, 0, tzinfo=TAIPEI), datetime.date(2026, 8, 4)),
        (datetime.datetime(2026, 8, 4, 18, 0, tzinfo=TAIPEI), datetime.date(2026, 8, 4)),
        (datetime.datetime(2026, 8, 4, 22, 0, tzinfo=TAIPEI), datetime.date(2026, 8, 5)),
        (datetime.datetime(2026, 8, 7, 22, 0, tzinfo=TAIPEI), datetime.date(2026, 8, 10)),  # Friday night → Monday
        (datetime.datetime(2026, 10, 8, 22, 0, tzinfo=TAIPEI), datetime.date(2026, 10, 12)),  # over the holiday
    ],
)
def test_the_22_00_window_uses_the_next_business_day(local: datetime.datetime, expected: datetime.date) -> None:
    assert calendar.processing_date_for(local.astimezone(datetime.UTC), cutoff=CUTOFF) == expected


def test_the_beat_windows_exist_in_taipei_time() -> None:
    from django_celery_beat.models import PeriodicTask

    windows = {
        task.name: (task.task, task.crontab.hour, str(task.crontab.timezone), task.queue)
        for task in PeriodicTask.objects.filter(name__startswith="banking:")
    }
    assert windows == {
        "banking: upload window 06:00": ("banking.tasks.upload_window", "6", "Asia/Taipei", "banking"),
        "banking: upload window 18:00": ("banking.tasks.upload_window", "18", "Asia/Taipei", "banking"),
        "banking: returns and reconciliation 22:00": ("banking.tasks.returns_window", "22", "Asia/Taipei", "banking"),
    }
