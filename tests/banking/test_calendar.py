"""Taiwan business days with overrides, and the file date of each upload window."""

import datetime
import logging

import pytest
from django.contrib import messages
from django.urls import reverse
from django.utils import timezone

from banking import calendar
from banking.models import BusinessDayOverride
from tests.helpers import taipei

pytestmark = pytest.mark.django_db
CUTOFF = datetime.time(20, 0)


def test_weekends_and_seeded_holidays_are_closed() -> None:
    assert calendar.is_business_day(datetime.date(2026, 8, 4)) is True  # a Tuesday
    assert calendar.is_business_day(datetime.date(2026, 8, 8)) is False  # a Saturday
    assert calendar.is_business_day(datetime.date(2026, 10, 9)) is False  # National Day (observed), from the migration


@pytest.mark.parametrize(
    ("day", "is_open"),
    [
        (datetime.date(2026, 2, 13), True),  # the Friday before the Lunar New Year closure
        (datetime.date(2026, 2, 16), False),  # 除夕 (Lunar New Year's Eve)
        (datetime.date(2026, 2, 17), False),  # 春節 初一
        (datetime.date(2026, 2, 20), False),  # 初四, in lieu of the eve's eve that fell on Sunday
        (datetime.date(2026, 2, 23), True),  # back to work
        (datetime.date(2026, 2, 27), False),  # 和平紀念日 (Sat 28th) observed on Friday
        (datetime.date(2026, 4, 3), False),  # 兒童節 observed
        (datetime.date(2026, 4, 6), False),  # 清明節 observed
        (datetime.date(2026, 9, 28), False),  # 教師節, a national holiday again from 2025
        (datetime.date(2026, 10, 26), False),  # 臺灣光復節 (Sun 25th) observed on Monday
        (datetime.date(2026, 12, 25), False),  # 行憲紀念日
        (datetime.date(2026, 12, 31), True),
    ],
)
def test_the_2026_dgpa_calendar(day: datetime.date, is_open: bool) -> None:
    assert calendar.is_business_day(day) is is_open


def test_2026_has_120_days_off_and_no_make_up_workdays() -> None:
    days = [datetime.date(2026, 1, 1) + datetime.timedelta(days=offset) for offset in range(365)]
    assert sum(not calendar.is_business_day(day) for day in days) == 120
    assert not any(calendar.is_business_day(day) for day in days if day.weekday() >= 5)
    assert calendar.add_business_days(datetime.date(2026, 2, 13), 1) == datetime.date(2026, 2, 23)


@pytest.mark.parametrize(
    ("day", "is_open"),
    [
        (datetime.date(2026, 12, 31), True),
        (datetime.date(2027, 1, 1), False),  # 元旦
        (datetime.date(2027, 2, 3), True),  # the Wednesday before the Lunar New Year closure
        (datetime.date(2027, 2, 4), False),  # 小年夜
        (datetime.date(2027, 2, 10), False),  # 初五, in lieu of 初一 and 初二 on the weekend
        (datetime.date(2027, 2, 11), True),  # back to work
        (datetime.date(2027, 3, 1), False),  # 和平紀念日 (Sun 28th) observed on Monday
        (datetime.date(2027, 4, 6), False),  # 兒童節 (Sun 4th) observed after 清明節 on Monday 5th
        (datetime.date(2027, 4, 30), False),  # 勞動節 (Sat) observed on Friday
        (datetime.date(2027, 10, 25), False),  # 臺灣光復節 on a Monday
        (datetime.date(2027, 12, 24), False),  # 行憲紀念日 (Sat 25th) observed on Friday
        (datetime.date(2027, 12, 31), False),  # 元旦 2028 (Sat) observed on Friday
    ],
)
def test_the_2027_dgpa_calendar(day: datetime.date, is_open: bool) -> None:
    assert calendar.is_business_day(day) is is_open


def test_2027_has_121_days_off_and_no_make_up_workdays() -> None:
    days = [datetime.date(2027, 1, 1) + datetime.timedelta(days=offset) for offset in range(365)]
    assert sum(not calendar.is_business_day(day) for day in days) == 104 + 17
    assert not any(calendar.is_business_day(day) for day in days if day.weekday() >= 5)
    assert calendar.add_business_days(datetime.date(2027, 2, 3), 1) == datetime.date(2027, 2, 11)


def test_a_coming_year_without_holidays_is_reported_within_the_horizon() -> None:
    # with both seeded years, nothing is missing until 2028 comes within 60 days
    assert calendar.years_without_holidays(datetime.date(2026, 12, 3)) == []
    assert calendar.years_without_holidays(datetime.date(2027, 11, 1)) == []
    assert calendar.years_without_holidays(datetime.date(2027, 11, 2)) == [2028]
    # a year whose holidays were removed is missing as soon as the horizon reaches it
    BusinessDayOverride.objects.filter(date__year=2027).delete()
    assert calendar.years_without_holidays(datetime.date(2026, 11, 1)) == []
    assert calendar.years_without_holidays(datetime.date(2026, 11, 2)) == [2027]
    # a make-up workday alone does not make a year known
    BusinessDayOverride.objects.create(date=datetime.date(2027, 3, 6), is_business_day=True, reason="補行上班")
    assert calendar.years_without_holidays(datetime.date(2027, 3, 1)) == [2027]


def test_the_daily_check_logs_and_emails_finance_when_a_year_is_missing(
    mailoutbox, settings, caplog: pytest.LogCaptureFixture
) -> None:
    from banking import tasks

    settings.BANKING_FINANCE_EMAILS = ["finance@luckygas.example"]
    assert tasks.check_calendar() == []
    assert mailoutbox == []
    # when nobody entered this year's holidays
    BusinessDayOverride.objects.filter(is_business_day=False).delete()
    this_year = timezone.localdate().year
    with caplog.at_level(logging.ERROR, logger="banking"):
        missing = tasks.check_calendar()
    # then the year is named in the log and in one email to finance
    assert this_year in missing
    assert str(this_year) in caplog.text
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["finance@luckygas.example"]
    assert str(this_year) in mailoutbox[0].subject


def test_the_batch_and_calendar_screens_warn_while_a_year_is_missing(admin_client) -> None:
    batches = reverse("admin:banking_collectionbatch_changelist")
    overrides = reverse("admin:banking_businessdayoverride_changelist")
    BusinessDayOverride.objects.filter(is_business_day=False).delete()
    this_year = str(timezone.localdate().year)
    for url in (batches, overrides):
        shown = list(admin_client.get(url).context["messages"])
        assert [message.level for message in shown if this_year in str(message)] == [messages.WARNING], shown


def test_a_typhoon_day_override_closes_a_weekday() -> None:
    BusinessDayOverride.objects.create(date=datetime.date(2026, 8, 5), is_business_day=False, reason="颱風假")
    assert calendar.next_business_day(datetime.date(2026, 8, 4)) == datetime.date(2026, 8, 6)


def test_a_make_up_workday_opens_a_saturday() -> None:
    BusinessDayOverride.objects.create(date=datetime.date(2026, 8, 8), is_business_day=True, reason="補行上班")
    assert calendar.next_business_day(datetime.date(2026, 8, 7)) == datetime.date(2026, 8, 8)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (taipei(2026, 8, 4, 6, 0), datetime.date(2026, 8, 4)),
        (taipei(2026, 8, 4, 18, 0), datetime.date(2026, 8, 4)),
        (taipei(2026, 8, 4, 22, 0), datetime.date(2026, 8, 5)),
        (taipei(2026, 8, 7, 22, 0), datetime.date(2026, 8, 10)),  # Friday night → Monday
        (taipei(2026, 10, 8, 22, 0), datetime.date(2026, 10, 12)),  # over the holiday
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
        "banking: mandate file 17:00": ("banking.tasks.mandate_window", "17", "Asia/Taipei", "banking"),
        "banking: mandate replies 08:00": ("banking.tasks.mandate_replies_window", "8", "Asia/Taipei", "banking"),
        "banking: overdue return files 09:00": ("banking.tasks.check_overdue_returns", "9", "Asia/Taipei", "banking"),
        "banking: holiday calendar check 09:00": ("banking.tasks.check_calendar", "9", "Asia/Taipei", "banking"),
    }
