"""Shared by the services: status moves (forward only), raw provider events, task hand-off."""

import datetime
import hashlib
import json
import logging
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from luckygas.masking import mask_phone
from sms import crypto, metrics
from sms.models import (
    FINAL_STATUSES,
    STATUS_RANK,
    AttemptStatus,
    Message,
    MessageStatus,
    ProviderEvent,
    StatusChange,
)

logger = logging.getLogger(__name__)


TAIPEI = ZoneInfo("Asia/Taipei")
LEASE = datetime.timedelta(seconds=120)
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
