"""Receipts and status polling: stored raw, applied only forward."""

import json
import logging

from django.db import transaction
from django.utils import timezone

from sms.models import (
    ATTEMPT_FINAL,
    Attempt,
    AttemptStatus,
    Message,
    MessageStatus,
    ProviderEvent,
)
from sms.providers import base, get_provider
from sms.services.recipients import opt_out_from_provider
from sms.services.status import ATTEMPT_RANK, _record_event, _set_status

logger = logging.getLogger(__name__)


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
        if receipt.error_kind == base.OPTED_OUT:
            opt_out_from_provider(
                phone=message.phone if message else receipt.phone, provider=provider, code=receipt.error_code
            )
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
