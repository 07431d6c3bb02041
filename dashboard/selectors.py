"""Reads of the dashboard: who may see it, export jobs of a user, daily rollups."""

import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from dashboard.metrics import ADMIN, MANAGER
from dashboard.models import DailyRollup, ExportJob
from luckygas.delivery import roles


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
