"""What every metric is made of: audiences, the Asia/Taipei `Period`, `Metric`.

Other apps' dashboard contracts (`sms.selectors.sms_dashboard_summary`, …) are imported by the
metric modules, so a renamed contract fails at import instead of blanking a panel.
"""

import datetime
import json
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

MANAGER = "manager"
ADMIN = "admin"
AUDIENCES = (MANAGER, ADMIN)
CACHE_VERSION = 1


def local_today() -> datetime.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))


@dataclass(frozen=True)
class Period:
    """Inclusive Asia/Taipei calendar days."""

    start: datetime.date
    end: datetime.date

    @property
    def start_moment(self) -> datetime.datetime:
        return datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))

    @property
    def end_moment(self) -> datetime.datetime:
        """The first moment after the period."""
        next_day = self.end + datetime.timedelta(days=1)
        return datetime.datetime.combine(next_day, datetime.time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Metric:
    name: str
    panel: str
    title: Any
    compute: Callable[[Period], dict[str, Any]]
    audiences: tuple[str, ...]
    ttl_seconds: int
    default_period: Callable[[datetime.date], Period]
    # Recomputed by the ticker at this pace even without events (time-dependent numbers, other apps' state).
    refresh_seconds: int | None = None


def _day_period(today: datetime.date) -> Period:
    return Period(today, today)


def _last_30_days(today: datetime.date) -> Period:
    return Period(today - datetime.timedelta(days=29), today)


def _month_to_date(today: datetime.date) -> Period:
    return Period(today.replace(day=1), today)


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _jsonable(value: Any) -> Any:
    """Contract results hold aware datetimes; the wire and the cache hold ISO strings."""
    return json.loads(
        json.dumps(value, default=lambda item: item.isoformat() if hasattr(item, "isoformat") else str(item))
    )
