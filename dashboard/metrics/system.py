"""System health (admins only) and SMS: Celery queues and failures, providers, banks, offline sync."""

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from dashboard.metrics.base import Period, _contract, _jsonable
from dashboard.models import ExportJob, ExportStatus

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
    sms_function = _contract("sms.selectors", "sms_dashboard_summary")
    banking_function = _contract("banking.selectors", "banking_dashboard_summary")
    sync_function = _contract("offline_sync.selectors", "sync_dashboard_summary")
    sms: dict[str, Any] = {"configured": False}
    if sms_function:
        sms = {"configured": True, **_jsonable(sms_function(start=period.start_moment, end=period.end_moment))}
    banks: dict[str, Any] = {"configured": False}
    if banking_function:
        summary = banking_function(start=period.start_moment, end=period.end_moment)
        banks = {"configured": True, "banks": _jsonable(summary["banks"])}
    offline: dict[str, Any] = {"configured": False}
    if sync_function:
        summary = sync_function()
        offline = {
            "configured": True,
            "max_lag_seconds": summary["max_lag_seconds"],
            "open_conflicts": summary["open_conflicts"],
            "devices": len(summary["devices"]),
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
    sms_function = _contract("sms.selectors", "sms_dashboard_summary")
    if sms_function is None:
        return {"configured": False}
    day = Period(period.end, period.end)
    summary = sms_function(start=day.start_moment, end=day.end_moment)
    return {
        "configured": True,
        **{key: summary[key] for key in ("sent", "delivered", "failed", "pending")},
    }
