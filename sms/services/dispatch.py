"""Dispatch: claim a queued message, apply compliance and limits, hand it to one provider (its answer: outcomes.py)."""

import datetime
import logging

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from luckygas import feature_flags
from sms import conf, crypto, limits
from sms.models import (
    Attempt,
    AttemptStatus,
    LimitBypass,
    MarketingConsent,
    Message,
    MessageStatus,
    OptOut,
    Priority,
    Provider,
    ProviderName,
)
from sms.providers import base, get_provider
from sms.services.outcomes import _attempt_accepted, _attempt_failed, _attempt_unrecoverable, _circuit
from sms.services.status import (
    LEASE,
    MAX_TEMPORARY_RETRIES,
    TAIPEI,
    _national,
    _set_status,
)
from training import selectors as training_selectors

logger = logging.getLogger(__name__)
MARKETING_SWITCHED_OFF = "marketing switched off"
MARKETING_SWITCH_RECHECK = datetime.timedelta(minutes=5)
PRACTICE_REFUSAL = "Refused: the recipient is practice data (練習) of a trainee; practice messages are never sent."


def _claim(message_id: int, now: datetime.datetime) -> bool:
    return bool(
        Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED, not_before__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE, dispatched_at=now)
    )


def _defer(message: Message, *, until: datetime.datetime, reason: str, now: datetime.datetime) -> str:
    Message.objects.filter(pk=message.pk).update(not_before=until, deferred_reason=reason[:120], lease_until=None)
    wait = (until - now).total_seconds()
    if wait <= 300:
        from sms.tasks import message_send

        message_send.apply_async((message.pk,), countdown=max(0.0, wait))
    return f"deferred:{reason}"


def _next_marketing_start(now: datetime.datetime) -> datetime.datetime | None:
    """None when `now` is inside the marketing window, else the next window start (Asia/Taipei)."""
    start, end = conf.marketing_window()
    local = now.astimezone(TAIPEI)
    if start <= local.time() < end:
        return None
    day = local.date() if local.time() < start else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, start, tzinfo=TAIPEI)


def _providers_for(message: Message, *, exclude: set[str]) -> list[Provider]:
    rows = [row for row in Provider.objects.filter(is_enabled=True) if row.name not in exclude]
    # Priority first (the office's order), then cost per message (unit price × billable units).
    rows.sort(key=lambda row: (row.priority, row.unit_price_centi * message.billable_units, row.name))
    return [row for row in rows if get_provider(row.name) is not None]


def _excluded_providers(message: Message) -> set[str]:
    """Providers that definitely refused this message, or already hold an attempt still open."""
    excluded = set()
    temporary_counts: dict[str, int] = {}
    for attempt in message.attempts.all():
        if attempt.status == AttemptStatus.REJECTED:
            if attempt.error_code.startswith("temporary:http429"):
                continue
            if attempt.error_code.startswith("temporary:"):
                temporary_counts[attempt.provider] = temporary_counts.get(attempt.provider, 0) + 1
                if temporary_counts[attempt.provider] >= MAX_TEMPORARY_RETRIES:
                    excluded.add(attempt.provider)
            elif attempt.error_code != "not_found":
                excluded.add(attempt.provider)
    return excluded


def _customer_seed(message: Message, day_start: datetime.datetime) -> int:
    if message.customer_id is None:
        return 0
    total = (
        Message.objects.filter(customer_id=message.customer_id, submitted_at__gte=day_start)
        .exclude(pk=message.pk)
        .aggregate(total=Sum("billable_units"))["total"]
    )
    return int(total or 0)


def _system_seed(minute_start: datetime.datetime) -> int:
    total = Message.objects.filter(submitted_at__gte=minute_start).aggregate(total=Sum("billable_units"))["total"]
    return int(total or 0)


def message_dispatch(*, message_id: int, now: datetime.datetime | None = None) -> str:
    """Send one queued message through the best available provider. Safe to call twice."""
    now = now or timezone.now()
    crypto.check_keys()
    if not _claim(message_id, now):
        return "not_claimed"
    try:
        return _dispatch_claimed(message_id=message_id, now=now)
    except Exception:
        # Redis or the database went away before the provider was called: release the lease so
        # the reconcile (or the task's retry) can pick the message up again at once.
        Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(lease_until=None)
        raise


def _fail(message: Message, *, note: str, error_code: str, error_detail: str, **fields: object) -> None:
    """Fail a message that will not be sent (under its row lock), and release its lease."""
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        _set_status(
            message=locked,
            status=MessageStatus.FAILED,
            note=note,
            error_code=error_code,
            error_detail=error_detail,
            lease_until=None,
            **fields,
        )


def _dispatch_claimed(*, message_id: int, now: datetime.datetime) -> str:
    message = Message.objects.select_related("customer").get(pk=message_id)
    if training_selectors.customer_is_practice(customer_id=message.customer_id) or (
        message.customer_id is None and training_selectors.phone_is_practice(phone=message.phone)
    ):
        # Trainees practise on made-up customers: nothing of theirs may reach a provider (or a real phone).
        _fail(message, note="practice data", error_code="practice_data", error_detail=PRACTICE_REFUSAL)
        return "practice_data"
    is_opted_out = OptOut.objects.filter(phone=message.phone).exists()
    if is_opted_out and not (message.priority == Priority.CRITICAL and conf.opted_out_allows_critical()):
        _fail(message, note="opted out", error_code="opted_out", error_detail="The recipient opted out.")
        return "opted_out"
    if message.priority == Priority.MARKETING:
        has_consent = MarketingConsent.objects.filter(phone=message.phone, revoked_at__isnull=True).exists()
        if not has_consent:
            _fail(
                message,
                note="no marketing consent",
                error_code="no_consent",
                error_detail="No recorded marketing consent.",
            )
            return "no_consent"
        if not feature_flags.sms_marketing_is_enabled():
            # Held, not failed: the office may switch marketing back on; until then look again later.
            return _defer(message, until=now + MARKETING_SWITCH_RECHECK, reason=MARKETING_SWITCHED_OFF, now=now)
        window_start = _next_marketing_start(now)
        if window_start is not None:
            return _defer(message, until=window_start, reason="outside marketing hours", now=now)
    candidates = _providers_for(message, exclude=_excluded_providers(message))
    if not candidates:
        has_any = bool(_providers_for(message, exclude=set()))
        if has_any and _excluded_providers(message) != {row.name for row in _providers_for(message, exclude=set())}:
            return _defer(message, until=now + datetime.timedelta(seconds=30), reason="no provider available", now=now)
        _fail(
            message,
            note="every provider refused",
            error_code="providers_exhausted",
            error_detail="No provider could take the message.",
            is_dead_letter=True,
        )
        return "dead_letter"
    chosen = next((row for row in candidates if limits.circuit_allows(provider=row.name, now=now)), None)
    if chosen is None:
        return _defer(message, until=now + datetime.timedelta(seconds=15), reason="circuits open", now=now)
    return _send_through(message=message, provider_row=chosen, now=now, is_critical_resend=False)


def _send_through(*, message: Message, provider_row: Provider, now: datetime.datetime, is_critical_resend: bool) -> str:
    local_now = now.astimezone(TAIPEI)
    day_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    decision = limits.acquire(
        provider=provider_row.name,
        segments=message.billable_units,
        customer_key=str(message.customer_id) if message.customer_id else "",
        count_message=message.submitted_at is None,
        customer_day=local_now.strftime("%Y%m%d"),
        bypass_customer=message.priority == Priority.CRITICAL,
        rate_per_second=provider_row.rate_per_second,
        now=now,
        customer_seed=lambda: _customer_seed(message, day_start),
        system_seed=lambda: _system_seed(now.replace(second=0, microsecond=0)),
    )
    if decision.outcome != limits.OK:
        if is_critical_resend:
            Message.objects.filter(pk=message.pk).update(critical_resent_at=None)
            return f"deferred:{decision.outcome}"
        if decision.outcome == limits.CUSTOMER_CAP:
            until = day_start + datetime.timedelta(days=1)
        else:
            until = now + datetime.timedelta(milliseconds=max(decision.retry_after_ms, 50))
        return _defer(message, until=until, reason=decision.outcome, now=now)
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if decision.customer_cap_bypassed:
            LimitBypass.objects.get_or_create(message=locked, limit=limits.CUSTOMER_CAP)
        attempt = Attempt.objects.create(message=locked, provider=provider_row.name)
        fields: dict[str, object] = {"provider": provider_row.name, "deferred_reason": ""}
        if not locked.submitted_at:
            fields["submitted_at"] = now
        if not _set_status(message=locked, status=MessageStatus.SUBMITTED, note=f"to {provider_row.name}", **fields):
            Message.objects.filter(pk=locked.pk).update(**fields)
    return _call_provider(attempt=attempt, message=locked, provider_row=provider_row, recover=False)


def _callback_url(provider: str) -> str:
    base_url = conf.callback_base_url()
    if not base_url:
        return ""
    if provider == ProviderName.TWILIO:
        return f"{base_url}/sms/callbacks/twilio/"
    return f"{base_url}/sms/callbacks/{provider}/{conf.callback_token()}/"


def _call_provider(*, attempt: Attempt, message: Message, provider_row: Provider, recover: bool) -> str:
    client = get_provider(provider_row.name)
    if client is None:
        return _attempt_failed(
            attempt=attempt,
            error=base.ProviderError(kind=base.PROVIDER, code="unconfigured", detail="provider not configured"),
        )
    body = crypto.decrypt_body(message.body_encrypted)
    reference = str(message.uuid)
    phone = message.phone if provider_row.name == ProviderName.TWILIO else _national(message.phone)
    try:
        if recover:
            result = client.recover(
                client_reference=reference,
                phone=phone,
                body=body,
                since=attempt.started_at - datetime.timedelta(minutes=1),
                callback_url=_callback_url(provider_row.name),
            )
        else:
            result = client.send(
                client_reference=reference, phone=phone, body=body, callback_url=_callback_url(provider_row.name)
            )
    except base.ProviderTimeout:
        _circuit(provider_row, success=False)
        with transaction.atomic():
            Attempt.objects.filter(pk=attempt.pk, status__in=[AttemptStatus.SUBMITTED, AttemptStatus.UNKNOWN]).update(
                status=AttemptStatus.UNKNOWN, error_code="timeout", error_detail="no answer in time"
            )
            locked = Message.objects.select_for_update().get(pk=message.pk)
            _set_status(
                message=locked, status=MessageStatus.UNKNOWN, note=f"{provider_row.name} timed out", lease_until=None
            )
            from sms.tasks import attempt_recover

            transaction.on_commit(lambda: attempt_recover.apply_async((attempt.pk,), countdown=5))
        return "unknown"
    except base.RecoveryUnsupportedError:
        return _attempt_unrecoverable(attempt=attempt, message=message, provider_row=provider_row)
    except base.ProviderError as error:
        return _attempt_failed(attempt=attempt, error=error, provider_row=provider_row)
    if result is None:
        # The provider confirmed it never got the message: safe to send again.
        return _attempt_failed(
            attempt=attempt,
            error=base.ProviderError(kind="not_found", code="not_found", detail="provider never received it"),
        )
    _circuit(provider_row, success=True)
    return _attempt_accepted(attempt=attempt, provider_row=provider_row, result=result)


def attempt_recover(*, attempt_id: int) -> str:
    """After a timeout, ask the same provider whether it has the message before anything else."""
    attempt = Attempt.objects.select_related("message").filter(pk=attempt_id).first()
    if attempt is None or attempt.status != AttemptStatus.UNKNOWN:
        return "nothing_to_do"
    claimed = Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.UNKNOWN).update(
        error_detail="asking the provider"
    )
    if not claimed:
        return "nothing_to_do"
    provider_row = Provider.objects.get(name=attempt.provider)
    return _call_provider(attempt=attempt, message=attempt.message, provider_row=provider_row, recover=True)
