"""Taiwan business days: Monday to Friday, except where an override says otherwise.

Overrides (national holidays, make-up workdays, typhoon closures) are rows of
`BusinessDayOverride`, editable in admin; a data migration seeds the published holidays.
"""

import datetime
from zoneinfo import ZoneInfo

from banking.models import BusinessDayOverride

TAIPEI = ZoneInfo("Asia/Taipei")


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
