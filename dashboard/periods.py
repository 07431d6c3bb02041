"""Parsing a requested period (query parameters `start` and `end`, ISO dates, Asia/Taipei days)."""

import datetime
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dashboard.metrics import Period

MAX_DAYS = 366


def _parse_day(value: str, field: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")}) from error


def period_from_params(params: Mapping[str, str], *, default: Period) -> Period:
    """The period asked for, or `default`; errors name the field (`start` or `end`)."""
    start_text, end_text = params.get("start", "").strip(), params.get("end", "").strip()
    if not start_text and not end_text:
        return default
    end = _parse_day(end_text, "end") if end_text else default.end
    start = _parse_day(start_text, "start") if start_text else end - datetime.timedelta(days=default.days - 1)
    if start > end:
        raise ValidationError({"start": _("The start date must not be after the end date.")})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError({"start": _("Ask for at most %(days)d days at a time.") % {"days": MAX_DAYS}})
    return Period(start, end)
