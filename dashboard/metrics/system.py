"""System health (admins only) and SMS: Celery queues and failures, providers, banks, offline sync."""

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from banking.selectors import banking_dashboard_summary
from dashboard.metrics.base import Period, _jsonable
from dashboard.models import ExportJob, ExportStatus
from offline_sync.selectors import sync_dashboard_summary
from sms.selectors import sms_dashboard_summary

CELERY_QUEUES = ("default", "sms", "banking", "exports")


def _queue_depths() -> dict[str, int | None]:
    if not settings.REDIS_URL:
        return dict.fromkeys(CELERY_QUEUES)
    from dashboard.live import redis_client

    client = redis_client()
    pipe = client.pipeline()
    for queue in CELERY_QUEUES:
        pipe.llen(queue)
    return dict(zip(CELERY_QUEUES, pipe.execute(), strict=True))


def compute_system(period: Period) -> dict[str, Any]:
    """Celery queues and failures, SMS providers, bank uploads and offline-sync lag."""
    from dashboard.live import recent_task_failures

    since = timezone.now() - datetime.timedelta(hours=24)
    sms = {"configured": True, **_jsonable(sms_dashboard_summary(start=period.start_moment, end=period.end_moment))}
    bank_summary = banking_dashboard_summary(start=period.start_moment, end=period.end_moment)
    banks = {"configured": True, "banks": _jsonable(bank_summary["banks"])}
    sync_summary = sync_dashboard_summary()
    offline = {
        "configured": True,
        "max_lag_seconds": sync_summary["max_lag_seconds"],
        "open_conflicts": sync_summary["open_conflicts"],
        "devices": len(sync_summary["devices"]),
    }
    failures = recent_task_failures()
    return {
        "queues": _queue_depths(),
        "failed_tasks_24h": sum(1 for failure in failures if failure["at"] >= since.isoformat()),
        "recent_failures": failures[:10],
        "failed_exports_24h": ExportJob.objects.filter(status=ExportStatus.FAILED, created_at__gte=since).count(),
        "sms": sms,
        "banks": banks,
        "offline_sync": offline,
    }


def compute_sms_today(period: Period) -> dict[str, Any]:
    """SMS sent and delivered on the day (managers see counts; costs and providers are in system health)."""
    day = Period(period.end, period.end)
    summary = sms_dashboard_summary(start=day.start_moment, end=day.end_moment)
    return {
        "configured": True,
        **{key: summary[key] for key in ("sent", "delivered", "failed", "pending")},
    }
