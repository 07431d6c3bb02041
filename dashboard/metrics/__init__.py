"""The dashboard's metrics: what each one computes, who may see it, how long it is cached.

The computations live in `orders` (key figures, pipeline, drivers, customers), `finance` and
`system` (health and SMS); `base` holds `Period` and `Metric`. A metric is computed for a
`Period` (Asia/Taipei calendar days, inclusive) and an audience (`manager` or `admin`). Results
are plain JSON-able dicts, cached in the Django cache under a key holding metric, period, time
zone and audience, so a changed range never serves the old one. Other apps' numbers come through
the contract functions of CONTRACTS.md (guarded import): when an app does not provide its
function yet, its section says `configured: false`, never a number.
"""

import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboard.metrics.base import (
    ADMIN,
    AUDIENCES,
    CACHE_VERSION,
    MANAGER,
    Metric,
    Period,
    _day_period,
    _last_30_days,
    _month_to_date,
    local_today,
)
from dashboard.metrics.finance import compute_finance
from dashboard.metrics.orders import compute_customers, compute_drivers, compute_kpis, compute_pipeline
from dashboard.metrics.system import compute_sms_today, compute_system
from luckygas.delivery import events

__all__ = [
    "ADMIN",
    "AUDIENCES",
    "EVENT_METRICS",
    "MANAGER",
    "METRICS",
    "PANELS",
    "Metric",
    "Period",
    "cache_key",
    "compute_customers",
    "compute_drivers",
    "compute_finance",
    "compute_kpis",
    "compute_pipeline",
    "compute_sms_today",
    "compute_system",
    "default_period",
    "local_today",
    "metrics_for",
    "snapshot_compute",
    "snapshot_get",
]

METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in [
        Metric("kpis", "executive", _("Key figures"), compute_kpis, AUDIENCES, 60, _day_period),
        Metric("sms_today", "executive", _("SMS today"), compute_sms_today, AUDIENCES, 30, _day_period, 30),
        Metric("pipeline", "operations", _("Order pipeline"), compute_pipeline, AUDIENCES, 5, _day_period),
        Metric("drivers", "operations", _("Drivers"), compute_drivers, AUDIENCES, 10, _day_period, 10),
        Metric("customers", "customers", _("Customers"), compute_customers, AUDIENCES, 300, _last_30_days),
        Metric("finance", "finance", _("Finance"), compute_finance, (ADMIN,), 3600, _month_to_date),
        Metric("system", "system", _("System health"), compute_system, (ADMIN,), 10, _day_period, 10),
    ]
}
PANELS = {
    "executive": _("Executive summary"),
    "operations": _("Operations"),
    "customers": _("Customers"),
    "finance": _("Finance"),
    "system": _("System health"),
}
# Which metrics each delivery event can change.
EVENT_METRICS = {
    events.ORDER_CREATED: ("kpis", "pipeline", "customers"),
    events.ORDER_UPDATED: ("pipeline", "customers"),
    events.ORDER_STATUS_CHANGED: ("kpis", "pipeline", "drivers", "finance"),
    events.ROUTE_CHANGED: ("drivers", "pipeline"),
    events.STOP_CHANGED: ("drivers",),
    events.INVOICE_PAID: ("finance", "kpis"),
    events.PAYMENT_RECORDED: ("finance", "kpis"),
}


def metrics_for(audience: str) -> list[Metric]:
    return [metric for metric in METRICS.values() if audience in metric.audiences]


def cache_key(metric: Metric, period: Period, audience: str) -> str:
    return (
        f"dashboard:v{CACHE_VERSION}:{metric.name}:{audience}:{period.start.isoformat()}:{period.end.isoformat()}"
        f":{settings.TIME_ZONE}"
    )


def default_period(metric: Metric, today: datetime.date | None = None) -> Period:
    return metric.default_period(today or local_today())


def snapshot_compute(metric: Metric, period: Period, audience: str) -> dict[str, Any]:
    """Compute a metric now and cache it for its TTL."""
    if audience not in metric.audiences:
        raise PermissionError(metric.name)
    entry = {
        "metric": metric.name,
        "panel": metric.panel,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "as_of": timezone.now().isoformat(),
        "data": metric.compute(period),
    }
    cache.set(cache_key(metric, period, audience), entry, timeout=metric.ttl_seconds)
    return entry


def snapshot_get(metric: Metric, period: Period, audience: str) -> dict[str, Any]:
    """The cached snapshot of a metric for a period and audience, computed on a miss."""
    if audience not in metric.audiences:
        raise PermissionError(metric.name)
    entry = cache.get(cache_key(metric, period, audience))
    if entry is None:
        entry = snapshot_compute(metric, period, audience)
    return entry
