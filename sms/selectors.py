"""Reads for the admin, the dashboard contract and the office view."""

import datetime
import statistics

from django.db.models import Count, Q, Sum

from sms import limits
from sms.models import Attempt, AttemptStatus, Message, MessageStatus, Provider, TemplateVariant

PENDING = [MessageStatus.QUEUED, MessageStatus.SUBMITTED, MessageStatus.UNKNOWN, MessageStatus.ACCEPTED]


def provider_stats(*, start: datetime.datetime, end: datetime.datetime) -> list[dict]:
    """Per provider: delivered rate, median submit-to-delivered latency, cost, balance and circuit."""
    now = end if end < datetime.datetime.now(tz=datetime.UTC) else datetime.datetime.now(tz=datetime.UTC)
    result = []
    for provider in Provider.objects.all():
        attempts = Attempt.objects.filter(provider=provider.name, started_at__gte=start, started_at__lt=end)
        counts = attempts.aggregate(
            total=Count("pk"),
            delivered=Count("pk", filter=Q(status=AttemptStatus.DELIVERED)),
            finished=Count(
                "pk", filter=Q(status__in=[AttemptStatus.DELIVERED, AttemptStatus.FAILED, AttemptStatus.EXPIRED])
            ),
        )
        latencies = [
            (final_at - started_at).total_seconds()
            for started_at, final_at in attempts.filter(
                status=AttemptStatus.DELIVERED, final_at__isnull=False
            ).values_list("started_at", "final_at")[:20000]
        ]
        cost = Message.objects.filter(provider=provider.name, submitted_at__gte=start, submitted_at__lt=end).aggregate(
            cost=Sum("cost_centi")
        )["cost"]
        try:
            circuit = limits.circuit_state(provider=provider.name, now=now)
        except Exception:
            circuit = "closed"
        result.append(
            {
                "name": provider.name,
                "label": str(provider),
                "is_enabled": provider.is_enabled,
                "attempts": counts["total"],
                "delivered": counts["delivered"],
                "circuit_state": circuit,
                "delivered_rate": (counts["delivered"] / counts["finished"]) if counts["finished"] else None,
                "latency_p50_seconds": statistics.median(latencies) if latencies else None,
                "cost_twd": round((cost or 0) / 100),
                "balance": provider.balance,
                "balance_low": provider.is_balance_low,
            }
        )
    return result


def sms_dashboard_summary(*, start: datetime.datetime, end: datetime.datetime) -> dict:
    """The dashboard contract (CONTRACTS.md): message counts, cost and provider health in [start, end)."""
    counts = Message.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        sent=Count("pk", filter=Q(submitted_at__isnull=False)),
        delivered=Count("pk", filter=Q(status=MessageStatus.DELIVERED)),
        failed=Count("pk", filter=Q(status__in=[MessageStatus.FAILED, MessageStatus.EXPIRED])),
        pending=Count("pk", filter=Q(status__in=PENDING)),
        cost=Sum("cost_centi"),
    )
    providers = provider_stats(start=start, end=end)
    return {
        "sent": counts["sent"],
        "delivered": counts["delivered"],
        "failed": counts["failed"],
        "pending": counts["pending"],
        "cost_twd": round((counts["cost"] or 0) / 100),
        "providers": [
            {
                key: provider[key]
                for key in ("name", "circuit_state", "delivered_rate", "latency_p50_seconds", "balance", "balance_low")
            }
            for provider in providers
        ],
    }


def variant_stats(*, template_id: int) -> list[dict]:
    """Delivery rate per A/B variant of a template."""
    rows = TemplateVariant.objects.filter(template_id=template_id).annotate(
        sent=Count("messages", filter=Q(messages__submitted_at__isnull=False)),
        delivered=Count("messages", filter=Q(messages__status=MessageStatus.DELIVERED)),
    )
    return [
        {
            "label": row.label,
            "weight": row.weight,
            "sent": row.sent,
            "delivered": row.delivered,
            "delivered_rate": (row.delivered / row.sent) if row.sent else None,
        }
        for row in rows
    ]


def dead_letter_list():
    """Messages that could not be delivered and that the office may resend."""
    stale_unknown = Q(
        status=MessageStatus.UNKNOWN,
        submitted_at__lt=datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(hours=1),
    )
    return Message.objects.filter(Q(is_dead_letter=True) | stale_unknown).exclude(resends__isnull=False)
