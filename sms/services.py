"""Every write to the SMS outbox goes through these functions.

A message is a row first (`message_enqueue`); `message_dispatch` claims it with a conditional
UPDATE lease, applies compliance and limits, and hands it to one provider. A timeout never
leads to a blind resend: the attempt becomes `unknown` and `attempt_recover` asks that provider
first. Receipts (`receipt_record`) are stored raw and only ever move a status forward.
"""

import datetime
import hashlib
import json
import logging
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery.models import Customer
from luckygas.delivery.validators import normalize_taiwan_phone
from luckygas.masking import mask_phone
from sms import conf, crypto, limits, metrics, rendering
from sms.models import (
    ATTEMPT_FINAL,
    FINAL_STATUSES,
    STATUS_RANK,
    AllowlistEntry,
    Attempt,
    AttemptStatus,
    LimitBypass,
    MarketingConsent,
    Message,
    MessageStatus,
    OptOut,
    Priority,
    Provider,
    ProviderEvent,
    ProviderName,
    StatusChange,
    Template,
)
from sms.providers import base, get_provider
from sms.segments import count_segments

logger = logging.getLogger(__name__)
TAIPEI = ZoneInfo("Asia/Taipei")
LEASE = datetime.timedelta(seconds=120)
OPT_OUT_KEYWORDS = frozenset({"STOP", "退訂", "取消", "UNSUBSCRIBE", "STOPALL"})
ATTEMPT_RANK = {
    AttemptStatus.SUBMITTED: 0,
    AttemptStatus.UNKNOWN: 1,
    AttemptStatus.ACCEPTED: 2,
    AttemptStatus.DELIVERED: 3,
    AttemptStatus.FAILED: 3,
    AttemptStatus.EXPIRED: 3,
    AttemptStatus.REJECTED: 3,
}
MAX_TEMPORARY_RETRIES = 5
RATE_LIMIT_CODES = frozenset({"http429", "twilio:20429", "twilio:429"})
# An attempt the provider cannot be asked about (Every8d without a BATCHID): left to an operator.
UNRECOVERABLE = "unrecoverable"


def _national(phone: str) -> str:
    return "0" + phone[4:] if phone.startswith("+886") else phone


def _enqueue_send(message_id: int, countdown: float | None = None) -> None:
    from sms.tasks import message_send

    transaction.on_commit(lambda: message_send.apply_async((message_id,), countdown=countdown))


def _set_status(*, message: Message, status: str, note: str = "", allow_retry: bool = False, **fields: object) -> bool:
    """Move a (locked) message to `status`; only forward, and never out of a final status."""
    current = message.status
    if current in FINAL_STATUSES:
        return False
    moving_back = STATUS_RANK[status] < STATUS_RANK[current]
    if moving_back and not (allow_retry and status == MessageStatus.QUEUED):
        return False
    now = timezone.now()
    updates: dict[str, object] = {"status": status, **fields}
    if status in FINAL_STATUSES:
        updates["final_at"] = now
    if status == MessageStatus.ACCEPTED and not message.accepted_at:
        updates["accepted_at"] = now
    if status != current:
        StatusChange.objects.create(message=message, from_status=current, to_status=status, note=note[:200])
    for name, value in updates.items():
        setattr(message, name, value)
    if status != current:
        metrics.count_status(provider=message.provider, status=status)
    Message.objects.filter(pk=message.pk).update(**updates)
    if status in FINAL_STATUSES:
        logger.info("sms %s is %s", message.pk, status, extra={"sms_id": message.pk, "status": status})
    return True


def _record_event(
    *,
    provider: str,
    kind: str,
    dedupe_parts: list[str],
    raw: Mapping[str, object],
    provider_message_id: str = "",
    message: Message | None = None,
    provider_status: str = "",
    mapped_status: str = "",
    occurred_at: datetime.datetime | None = None,
    phone: str = "",
) -> ProviderEvent | None:
    """Store one raw provider event; None when the very same event was stored before."""
    dedupe_key = hashlib.sha256("|".join([provider, kind, *dedupe_parts]).encode()).hexdigest()
    summary = {
        "provider_message_id": provider_message_id,
        "provider_status": provider_status,
        "phone": mask_phone(phone) if phone else "",
    }
    try:
        with transaction.atomic():
            return ProviderEvent.objects.create(
                provider=provider,
                kind=kind,
                dedupe_key=dedupe_key,
                provider_message_id=provider_message_id,
                message=message,
                provider_status=provider_status[:40],
                mapped_status=mapped_status,
                summary=summary,
                raw_encrypted=crypto.encrypt_body(json.dumps(dict(raw), ensure_ascii=False, default=str)),
                occurred_at=occurred_at,
            )
    except IntegrityError:
        return None


# --- Enqueue -------------------------------------------------------------------------------


def _allowlist() -> tuple[list[str], list[str]]:
    entries = list(AllowlistEntry.objects.values_list("kind", "value"))
    return (
        [value for kind, value in entries if kind == AllowlistEntry.Kind.LINK],
        [value for kind, value in entries if kind == AllowlistEntry.Kind.PHONE],
    )


def check_marketing_text(body: str) -> None:
    links, phones = _allowlist()
    problems = rendering.unregistered_links_and_numbers(body, links=links, phones=phones)
    if problems:
        raise ValidationError(
            {
                "body": _("Marketing text may only contain registered links and numbers; not registered: %(items)s")
                % {"items": ", ".join(problems)}
            }
        )


def message_enqueue(
    *,
    idempotency_key: str,
    phone: str = "",
    customer: Customer | None = None,
    body: str = "",
    template: Template | str | None = None,
    context: Mapping[str, object] | None = None,
    priority: str | None = None,
    not_before: datetime.datetime | None = None,
    resend_of: Message | None = None,
) -> Message:
    """Write one message to the outbox (idempotent on `idempotency_key`); it is sent after commit.

    Needs a phone or a customer with a mobile, and either a body or a template.
    """
    crypto.check_keys()
    if not idempotency_key:
        raise ValidationError({"idempotency_key": _("An idempotency key is required.")})
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    raw_phone = phone or (customer.mobile if customer else "")
    if not raw_phone:
        raise ValidationError({"phone": _("The customer has no mobile number for SMS.")})
    try:
        normalized = normalize_taiwan_phone(raw_phone, mobile_only=True)
    except ValidationError as error:
        raise ValidationError({"phone": error.messages}) from error
    variant = None
    if isinstance(template, str):
        template = Template.objects.filter(name=template, is_active=True).first()
        if template is None:
            raise ValidationError({"template": _("No active template with this name.")})
    if template is not None:
        variants = list(template.variants.filter(is_active=True, weight__gt=0).order_by("label"))
        variant = rendering.choose_variant(
            variants,
            [item.weight for item in variants],
            recipient_key=customer.code if customer else normalized,
            template_name=template.name,
        )
        full_context = {"company_name": conf.company_name(), **(context or {})}
        if customer is not None:
            full_context.setdefault("customer_name", customer.short_name)
        body = rendering.render(variant.body, full_context)
        priority = priority or template.priority
    if not body.strip():
        raise ValidationError({"body": _("The message is empty.")})
    priority = priority or Priority.NORMAL
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    if priority == Priority.MARKETING:
        body = rendering.marketing_body(body)
        check_marketing_text(body)
    count = count_segments(body)
    if count.segments > 5:
        raise ValidationError(
            {"body": _("The message needs %(n)d parts; at most 5 are allowed.") % {"n": count.segments}}
        )
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "customer": customer,
                "phone": normalized,
                "template": template,
                "variant": variant,
                "body_encrypted": crypto.encrypt_body(body),
                "priority": priority,
                "encoding": count.encoding,
                "billable_units": count.segments,
                "not_before": not_before or timezone.now(),
                "resend_of": resend_of,
            },
        )
        if created:
            StatusChange.objects.create(
                message=message, from_status=MessageStatus.QUEUED, to_status=MessageStatus.QUEUED, note="enqueued"
            )
            metrics.count_status(provider="", status=MessageStatus.QUEUED)
            _enqueue_send(message.pk)
    return message


# --- Dispatch ------------------------------------------------------------------------------


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


def _dispatch_claimed(*, message_id: int, now: datetime.datetime) -> str:
    message = Message.objects.select_related("customer").get(pk=message_id)
    is_opted_out = OptOut.objects.filter(phone=message.phone).exists()
    if is_opted_out and not (message.priority == Priority.CRITICAL and conf.opted_out_allows_critical()):
        with transaction.atomic():
            locked = Message.objects.select_for_update().get(pk=message.pk)
            _set_status(
                message=locked,
                status=MessageStatus.FAILED,
                note="opted out",
                error_code="opted_out",
                error_detail="The recipient opted out.",
                lease_until=None,
            )
        return "opted_out"
    if message.priority == Priority.MARKETING:
        has_consent = MarketingConsent.objects.filter(phone=message.phone, revoked_at__isnull=True).exists()
        if not has_consent:
            with transaction.atomic():
                locked = Message.objects.select_for_update().get(pk=message.pk)
                _set_status(
                    message=locked,
                    status=MessageStatus.FAILED,
                    note="no marketing consent",
                    error_code="no_consent",
                    error_detail="No recorded marketing consent.",
                    lease_until=None,
                )
            return "no_consent"
        window_start = _next_marketing_start(now)
        if window_start is not None:
            return _defer(message, until=window_start, reason="outside marketing hours", now=now)
    candidates = _providers_for(message, exclude=_excluded_providers(message))
    if not candidates:
        has_any = bool(_providers_for(message, exclude=set()))
        if has_any and _excluded_providers(message) != {row.name for row in _providers_for(message, exclude=set())}:
            return _defer(message, until=now + datetime.timedelta(seconds=30), reason="no provider available", now=now)
        with transaction.atomic():
            locked = Message.objects.select_for_update().get(pk=message.pk)
            _set_status(
                message=locked,
                status=MessageStatus.FAILED,
                note="every provider refused",
                error_code="providers_exhausted",
                error_detail="No provider could take the message.",
                is_dead_letter=True,
                lease_until=None,
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


def unrecoverable_notice(message: Message) -> str:
    """What the office reads on a message that a provider cannot be asked about."""
    if message.priority == Priority.CRITICAL:
        return _(
            "Unknown at %(provider)s: it cannot be asked about a message whose reply was lost. Critical, so it is "
            "sent once more via another provider if no receipt arrives in time; otherwise not resent automatically."
        ) % {"provider": ProviderName(message.provider).label if message.provider else "?"}
    return _(
        "Unknown at %(provider)s: it cannot be asked about a message whose reply was lost, so it is not resent "
        "automatically. Resend via another provider if the customer must get it."
    ) % {"provider": ProviderName(message.provider).label if message.provider else "?"}


def _attempt_unrecoverable(*, attempt: Attempt, message: Message, provider_row: Provider) -> str:
    # Not a provider failure (the circuit stays as it is) and not worth asking again: the message
    # stays unknown, in the dead-letter list, until an operator resends it or a receipt arrives.
    with transaction.atomic():
        Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.UNKNOWN).update(
            error_code=UNRECOVERABLE, error_detail="no lookup without the provider's id; not resent automatically"
        )
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status != MessageStatus.UNKNOWN or locked.error_code == UNRECOVERABLE:
            return "nothing_to_do"
        Message.objects.filter(pk=locked.pk).update(
            error_code=UNRECOVERABLE, error_detail=f"unknown at {provider_row.name}", is_dead_letter=True
        )
        StatusChange.objects.create(
            message=locked,
            from_status=locked.status,
            to_status=locked.status,
            note=f"unknown at {provider_row.name}: not resent automatically",
        )
    logger.warning(
        "sms %s is unknown at %s and cannot be looked up: waiting for an operator",
        message.pk,
        provider_row.name,
        extra={"sms_id": message.pk, "provider": provider_row.name},
    )
    return UNRECOVERABLE


def _circuit(provider_row: Provider, *, success: bool) -> None:
    try:
        limits.circuit_record(
            provider=provider_row.name,
            is_success=success,
            threshold=provider_row.failure_threshold,
            cooldown_seconds=provider_row.cooldown_seconds,
            now=timezone.now(),
        )
    except Exception:  # Redis down: the circuit is an optimisation, the outbox still holds the truth.
        logger.warning("could not record the circuit state of %s", provider_row.name)


def _attempt_accepted(*, attempt: Attempt, provider_row: Provider, result: base.SendResult) -> str:
    now = timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=attempt.message_id)
        Attempt.objects.filter(pk=attempt.pk).update(
            status=AttemptStatus.ACCEPTED,
            provider_message_id=result.provider_message_id,
            is_duplicate_reply=result.is_duplicate,
            accepted_at=now,
            error_code="",
            error_detail="",
        )
        _record_event(
            provider=provider_row.name,
            kind=ProviderEvent.Kind.SEND_REPLY,
            dedupe_parts=[str(attempt.pk), result.provider_message_id, str(result.is_duplicate)],
            raw=result.raw,
            provider_message_id=result.provider_message_id,
            message=locked,
            provider_status="duplicate" if result.is_duplicate else "accepted",
            mapped_status=MessageStatus.ACCEPTED,
        )
        cost = provider_row.unit_price_centi * (get_provider(provider_row.name) or _units_one).billable_units(
            segments=locked.billable_units
        )
        fields = {
            "provider": provider_row.name,
            "provider_message_id": result.provider_message_id,
            "lease_until": None,
            "cost_centi": locked.cost_centi + cost,
        }
        if not _set_status(
            message=locked,
            status=MessageStatus.ACCEPTED,
            note=f"{provider_row.name} accepted" + (" (duplicate)" if result.is_duplicate else ""),
            **fields,
        ):
            Message.objects.filter(pk=locked.pk).update(**fields)
        if result.balance is not None:
            Provider.objects.filter(pk=provider_row.pk).update(balance=result.balance, balance_updated_at=now)
            if result.balance < provider_row.balance_low_threshold:
                logger.warning(
                    "sms provider %s balance is low: %s",
                    provider_row.name,
                    result.balance,
                    extra={"provider": provider_row.name, "balance": result.balance},
                )
    return "duplicate" if result.is_duplicate else "accepted"


class _UnitsOne:
    @staticmethod
    def billable_units(*, segments: int) -> int:
        return segments


_units_one = _UnitsOne()


def _attempt_failed(*, attempt: Attempt, error: base.ProviderError, provider_row: Provider | None = None) -> str:
    kind = error.kind
    # Being rate limited (HTTP 429) says nothing about the provider's health.
    is_rate_limited = error.code in RATE_LIMIT_CODES
    if provider_row is not None and kind in (base.PROVIDER, base.TEMPORARY) and not is_rate_limited:
        _circuit(provider_row, success=False)
    error_code = f"{kind}:{error.code}" if kind != "not_found" else "not_found"
    now = timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=attempt.message_id)
        Attempt.objects.filter(pk=attempt.pk).update(
            status=AttemptStatus.REJECTED, error_code=error_code[:40], error_detail=error.detail[:300], final_at=now
        )
        _record_event(
            provider=attempt.provider,
            kind=ProviderEvent.Kind.SEND_REPLY,
            dedupe_parts=[str(attempt.pk), "error", error.code],
            raw={"code": error.code, **error.raw},
            message=locked,
            provider_status=error.code,
            mapped_status="rejected",
        )
        other_open = locked.attempts.exclude(pk=attempt.pk).exclude(status__in=ATTEMPT_FINAL).exists()
        if kind in (base.RECIPIENT, base.OPTED_OUT):
            if kind == base.OPTED_OUT:
                OptOut.objects.get_or_create(
                    phone=locked.phone,
                    defaults={"source": OptOut.Source.PROVIDER, "note": f"{attempt.provider} {error.code}"},
                )
            if not other_open:
                _set_status(
                    message=locked,
                    status=MessageStatus.FAILED,
                    note=error.detail,
                    error_code=error.code[:40],
                    error_detail=error.detail[:300],
                    is_dead_letter=kind == base.RECIPIENT,
                    lease_until=None,
                )
            return kind
        if other_open or locked.status in (MessageStatus.ACCEPTED, *FINAL_STATUSES):
            # A critical resend that failed: the first provider's attempt still stands.
            return f"resend_failed:{kind}"
        delay = datetime.timedelta(0)
        if kind == base.TEMPORARY:
            tries = locked.attempts.filter(provider=attempt.provider, error_code__startswith="temporary:").count()
            delay = datetime.timedelta(seconds=min(60, 2 ** (tries - 1)))
        _set_status(
            message=locked,
            status=MessageStatus.QUEUED,
            allow_retry=True,
            note=f"{attempt.provider}: {error.detail}"[:200],
            lease_until=None,
            not_before=now + delay,
            error_code=error.code[:40],
            error_detail=error.detail[:300],
        )
        _enqueue_send(locked.pk, countdown=delay.total_seconds() or None)
    return f"retry:{kind}"


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


# --- Receipts and polling -------------------------------------------------------------------


def receipt_record(*, provider: str, receipt: base.Receipt, kind: str = ProviderEvent.Kind.RECEIPT) -> str:
    """Store a raw receipt and move the attempt and its message forward; never backwards."""
    attempt = (
        Attempt.objects.filter(provider=provider, provider_message_id=receipt.provider_message_id).first()
        if receipt.provider_message_id
        else None
    )
    dedupe = [
        receipt.provider_message_id,
        receipt.provider_status,
        receipt.occurred_at.isoformat() if receipt.occurred_at else "",
        json.dumps(dict(receipt.raw), sort_keys=True, ensure_ascii=False, default=str),
    ]
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=attempt.message_id) if attempt else None
        event = _record_event(
            provider=provider,
            kind=kind,
            dedupe_parts=dedupe,
            raw=receipt.raw,
            provider_message_id=receipt.provider_message_id,
            message=message,
            provider_status=receipt.provider_status,
            mapped_status=receipt.status,
            occurred_at=receipt.occurred_at,
            phone=receipt.phone,
        )
        if event is None:
            return "duplicate"
        if attempt is None or message is None:
            logger.info("sms receipt for an unknown %s message id", provider)
            return "unknown_message"
        if not receipt.status:
            return "no_status"
        attempt.refresh_from_db()
        target = {
            base.ACCEPTED: AttemptStatus.ACCEPTED,
            base.DELIVERED: AttemptStatus.DELIVERED,
            base.FAILED: AttemptStatus.FAILED,
            base.EXPIRED: AttemptStatus.EXPIRED,
        }[receipt.status]
        if attempt.status in ATTEMPT_FINAL or ATTEMPT_RANK[target] <= ATTEMPT_RANK[attempt.status]:
            return "ignored"
        Attempt.objects.filter(pk=attempt.pk).update(
            status=target, final_at=timezone.now() if target in ATTEMPT_FINAL else None
        )
        changed = False
        if target == AttemptStatus.DELIVERED:
            changed = _set_status(
                message=message,
                status=MessageStatus.DELIVERED,
                note=f"{provider} receipt",
                provider=provider,
                provider_message_id=receipt.provider_message_id,
            )
        elif target == AttemptStatus.ACCEPTED:
            changed = _set_status(message=message, status=MessageStatus.ACCEPTED, note=f"{provider} receipt")
        else:
            still_open = message.attempts.exclude(pk=attempt.pk).exclude(status__in=ATTEMPT_FINAL).exists()
            if not still_open:
                changed = _set_status(
                    message=message,
                    status=str(target),
                    note=f"{provider} receipt",
                    error_code=receipt.provider_status[:40],
                    is_dead_letter=True,
                )
        ProviderEvent.objects.filter(pk=event.pk).update(is_applied=changed)
    return "applied" if changed else "ignored"


def provider_poll(*, provider: str, limit: int = 500) -> int:
    """Ask a provider for the status of its accepted messages without a final status."""
    client = get_provider(provider)
    if client is None:
        return 0
    ids = list(
        Attempt.objects.filter(provider=provider, status=AttemptStatus.ACCEPTED)
        .exclude(provider_message_id="")
        .order_by("accepted_at")
        .values_list("provider_message_id", flat=True)[:limit]
    )
    if not ids:
        return 0
    try:
        receipts = client.query(provider_message_ids=ids)
    except (base.ProviderError, base.ProviderTimeout):
        logger.warning("sms status query to %s failed", provider)
        return 0
    applied = 0
    for receipt in receipts:
        if receipt_record(provider=provider, receipt=receipt, kind=ProviderEvent.Kind.QUERY) == "applied":
            applied += 1
    return applied


# --- Inbound, opt-outs, consent ---------------------------------------------------------------


def opt_out_add(*, phone: str, source: str = OptOut.Source.ADMIN, note: str = "") -> OptOut:
    """Put a number on the opt-out list (idempotent)."""
    normalized = normalize_taiwan_phone(phone)
    opt_out, _created = OptOut.objects.get_or_create(phone=normalized, defaults={"source": source, "note": note[:200]})
    MarketingConsent.objects.filter(phone=normalized, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return opt_out


def inbound_record(*, provider: str, phone: str, text: str, raw: Mapping[str, str]) -> bool:
    """Store an inbound reply; an opt-out keyword puts the number on the opt-out list. True if it did."""
    _record_event(
        provider=provider,
        kind=ProviderEvent.Kind.INBOUND,
        dedupe_parts=[json.dumps(dict(raw), sort_keys=True, ensure_ascii=False)],
        raw=raw,
        phone=phone,
    )
    keyword = text.strip().upper()
    if keyword in OPT_OUT_KEYWORDS or text.strip() in OPT_OUT_KEYWORDS:
        try:
            opt_out_add(phone=phone, source=OptOut.Source.KEYWORD, note=f"{provider} reply")
        except ValidationError:
            return False
        return True
    return False


def consent_record(*, phone: str, source: str, customer: Customer | None = None) -> MarketingConsent:
    """Record marketing consent for a number (e.g. a signed form); an opt-out still wins."""
    normalized = normalize_taiwan_phone(phone)
    consent, _created = MarketingConsent.objects.update_or_create(
        phone=normalized,
        defaults={"source": source[:120], "customer": customer, "granted_at": timezone.now(), "revoked_at": None},
    )
    return consent


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


# --- Reconciliation -----------------------------------------------------------------------------


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
    from sms.hooks import rescan_business_events

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
