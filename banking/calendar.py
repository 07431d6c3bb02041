"""Taiwan business days: Monday to Friday, except where an override says otherwise.

Overrides (national holidays, make-up workdays, typhoon closures) are rows of
`BusinessDayOverride`, editable in admin; data migrations seed the published holidays. The DGPA
publishes the next year's calendar around June; until someone enters it, every weekday of that
year would count as a business day, so `years_without_holidays` tells the office in time.
"""

import datetime
from zoneinfo import ZoneInfo

from banking.models import BusinessDayOverride

TAIPEI = ZoneInfo("Asia/Taipei")

# How far ahead the calendar must be known: collection dates, return windows and the
# pre-notification SMS look a few weeks ahead, and entering a year takes a person.
CALENDAR_HORIZON_DAYS = 60


def is_business_day(day: datetime.date) -> bool:
    override = BusinessDayOverride.objects.filter(date=day).values_list("is_business_day", flat=True).first()
    if override is not None:
        return override
    return day.weekday() < 5


def next_business_day(day: datetime.date, *, include_today: bool = False) -> datetime.date:
    candidate = day if include_today else day + datetime.timedelta(days=1)
    while not is_business_day(candidate):
        candidate += datetime.timedelta(days=1)
    return candidate


def previous_business_day(day: datetime.date) -> datetime.date:
    candidate = day - datetime.timedelta(days=1)
    while not is_business_day(candidate):
        candidate -= datetime.timedelta(days=1)
    return candidate


def add_business_days(day: datetime.date, count: int) -> datetime.date:
    for _ in range(count):
        day = next_business_day(day)
    return day


def processing_date_for(now: datetime.datetime, *, cutoff: datetime.time) -> datetime.date:
    """The file date for work at `now`: after the bank's cut-off (the 22:00 window) or on a non-business day,
    the next business day."""
    local = now.astimezone(TAIPEI)
    today = local.date()
    if local.time() >= cutoff or not is_business_day(today):
        return next_business_day(today)
    return today


def years_without_holidays(today: datetime.date, *, horizon_days: int = CALENDAR_HORIZON_DAYS) -> list[int]:
    """Years from `today` to `horizon_days` ahead that hold no closure at all: their holidays were never entered.

    Every Taiwan year has weekday holidays (New Year's Day alone falls on a weekday most years, and
    the Lunar New Year always covers weekdays), so a year without one is a year nobody entered.
    """
    last = today + datetime.timedelta(days=horizon_days)
    years = range(today.year, last.year + 1)
    known = set(
        BusinessDayOverride.objects.filter(
            is_business_day=False, date__year__gte=today.year, date__year__lte=last.year
        ).values_list("date__year", flat=True)
    )
    return [year for year in years if year not in known]
