"""The office's resend and the periodic reconcile: stuck messages, timeouts, polls, critical resends."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sms import conf, crypto, limits
from sms.models import (
    Attempt,
    AttemptStatus,
    Message,
    MessageStatus,
    Priority,
    ProviderName,
    StatusChange,
)
from sms.providers import get_provider
from sms.services.dispatch import _providers_for, _send_through
from sms.services.enqueue import message_enqueue
from sms.services.status import UNRECOVERABLE, _set_status


def message_resend(*, message: Message, provider: str, operator: str = "") -> Message:
    """Send a dead message again as a new message, through the chosen provider first.

    The decision (who, which provider) is kept in the original message's history."""
    if provider not in ProviderName.values:
        raise ValidationError({"provider": _("Unknown provider.")})
    if get_provider(provider) is None:
        raise ValidationError({"provider": _("This provider is not configured.")})
    # One transaction: the copy is dispatched (on commit) only once the other providers are marked
    # skipped, and two operators clicking at once are serialised on the original message.
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.status not in (MessageStatus.FAILED, MessageStatus.EXPIRED, MessageStatus.UNKNOWN):
            raise ValidationError({"status": _("Only failed, expired or unknown messages can be resent.")})
        # A second click (or a second operator) after the first resend must not send another copy:
        # only once every earlier copy has failed or expired may the office try again.
        if message.resends.exclude(status__in=[MessageStatus.FAILED, MessageStatus.EXPIRED]).exists():
            raise ValidationError(
                {"status": _("This message was already resent and that copy has not failed; it is not resent again.")}
            )
        resend_count = message.resends.count()
        copy = message_enqueue(
            idempotency_key=f"resend:{message.pk}:{resend_count + 1}",
            phone=message.phone,
            customer=message.customer,
            body=crypto.decrypt_body(message.body_encrypted),
            priority=Priority.CRITICAL if message.priority == Priority.CRITICAL else Priority.NORMAL,
            resend_of=message,
        )
        decision = f"resent via {provider} as message {copy.pk}" + (f" by {operator}" if operator else "")
        StatusChange.objects.create(
            message=message, from_status=message.status, to_status=message.status, note=decision[:200]
        )
        # Pretend the other providers already refused it, so the chosen one goes first.
        for other in ProviderName.values:
            if other != provider:
                Attempt.objects.create(
                    message=copy,
                    provider=other,
                    status=AttemptStatus.REJECTED,
                    error_code="skipped",
                    error_detail="resend via another provider",
                    final_at=timezone.now(),
                )
    return copy


def outbox_reconcile(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Re-dispatch stuck messages, recover timed-out attempts, poll, and resend old critical ones."""
    from sms.tasks import attempt_recover, message_send, provider_poll_task

    now = now or timezone.now()
    counts = {"redispatched": 0, "recovering": 0, "polled": 0, "critical_resent": 0, "rescanned": 0}
    stuck = (
        Message.objects.filter(status=MessageStatus.QUEUED, not_before__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        # A new message's task was published when it committed: it is stuck only once that is old too.
        .filter(
            Q(dispatched_at__isnull=True, created_at__lt=now - conf.stuck_after())
            | Q(dispatched_at__lt=now - conf.stuck_after())
        )
        .order_by("not_before")
        .values_list("pk", flat=True)[:2000]
    )
    for message_id in list(stuck):
        Message.objects.filter(pk=message_id).update(dispatched_at=now)
        message_send.delay(message_id)
        counts["redispatched"] += 1
    # A worker died while talking to a provider: that attempt is unknown until we ask.
    abandoned = Message.objects.filter(status=MessageStatus.SUBMITTED, lease_until__lt=now)
    for message in abandoned:
        with transaction.atomic():
            locked = Message.objects.select_for_update().get(pk=message.pk)
            if locked.status != MessageStatus.SUBMITTED:
                continue
            Attempt.objects.filter(message=locked, status=AttemptStatus.SUBMITTED).update(
                status=AttemptStatus.UNKNOWN, error_code="abandoned"
            )
            _set_status(message=locked, status=MessageStatus.UNKNOWN, note="worker lost", lease_until=None)
    unknown = Attempt.objects.filter(
        status=AttemptStatus.UNKNOWN, started_at__lt=now - datetime.timedelta(seconds=20)
    ).exclude(error_code=UNRECOVERABLE)
    for attempt_id in unknown.values_list("pk", flat=True)[:500]:
        attempt_recover.delay(attempt_id)
        counts["recovering"] += 1
    for provider in ProviderName.values:
        if Attempt.objects.filter(
            provider=provider, status=AttemptStatus.ACCEPTED, accepted_at__lt=now - datetime.timedelta(minutes=2)
        ).exists():
            provider_poll_task.delay(provider)
            counts["polled"] += 1
    counts["critical_resent"] = critical_resend_due(now=now)
    from sms.handlers import rescan_business_events

    counts["rescanned"] = rescan_business_events(now=now)
    return counts


def critical_resend_due(*, now: datetime.datetime) -> int:
    """A critical message with no receipt after the configured time goes once through another provider."""
    deadline = now - conf.critical_receipt_timeout()
    due = Message.objects.filter(
        priority=Priority.CRITICAL,
        status__in=[MessageStatus.ACCEPTED, MessageStatus.UNKNOWN],
        critical_resent_at__isnull=True,
        submitted_at__lt=deadline,
    ).values_list("pk", flat=True)[:200]
    sent = 0
    for message_id in list(due):
        if not Message.objects.filter(pk=message_id, critical_resent_at__isnull=True).update(critical_resent_at=now):
            continue
        message = Message.objects.get(pk=message_id)
        used = set(message.attempts.values_list("provider", flat=True))
        candidates = _providers_for(message, exclude=used)
        chosen = next((row for row in candidates if limits.circuit_allows(provider=row.name, now=now)), None)
        if chosen is None:
            continue
        StatusChange.objects.create(
            message=message,
            from_status=message.status,
            to_status=message.status,
            note=f"no receipt: critical resend via {chosen.name}",
        )
        result = _send_through(message=message, provider_row=chosen, now=now, is_critical_resend=True)
        if not result.startswith("deferred"):
            sent += 1
    return sent
