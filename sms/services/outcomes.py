"""What a provider answered for one attempt: accepted, failed (temporary, recipient, opt-out) or
lost, and the circuit and message status that follow."""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sms import limits
from sms.models import (
    ATTEMPT_FINAL,
    FINAL_STATUSES,
    Attempt,
    AttemptStatus,
    Message,
    MessageStatus,
    Priority,
    Provider,
    ProviderEvent,
    ProviderName,
    StatusChange,
)
from sms.providers import base, get_provider
from sms.services.recipients import opt_out_from_provider
from sms.services.status import (
    RATE_LIMIT_CODES,
    UNRECOVERABLE,
    _enqueue_send,
    _record_event,
    _set_status,
)

logger = logging.getLogger(__name__)


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
                opt_out_from_provider(phone=locked.phone, provider=attempt.provider, code=error.code.rpartition(":")[2])
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
