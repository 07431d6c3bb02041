"""The append-only, hash-chained audit trail of everything that touches bank files and money."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, transaction
from django.utils import timezone

from banking.models import AuditRecord

GENESIS = "0" * 64
# Serialises appends so the chain stays linear under concurrency (PostgreSQL advisory lock id).
_CHAIN_LOCK_ID = 0x4C47_4143  # "LGAC"


def _canonical(record: AuditRecord) -> bytes:
    payload = {
        "at": record.at.isoformat(timespec="microseconds"),
        "actor": record.actor,
        "action": record.action,
        "bank_code": record.bank_code,
        "batch": record.batch_id_ref,
        "file_sha256": record.file_sha256,
        "details": record.details,
        "previous_hash": record.previous_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(record: AuditRecord) -> str:
    return hashlib.sha256(_canonical(record)).hexdigest()


def actor_name(actor: AbstractBaseUser | AnonymousUser | str | None) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return actor.get_username() or "anonymous"


def audit_record_append(
    *,
    action: str,
    actor: AbstractBaseUser | AnonymousUser | str | None = None,
    bank_code: str = "",
    batch_id: int | None = None,
    file_sha256: str = "",
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one record to the chain (in the caller's transaction, so it commits or rolls back with the work)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])
        previous = AuditRecord.objects.order_by("-id").values_list("record_hash", flat=True).first() or GENESIS
        record = AuditRecord(
            at=timezone.now(),
            actor=actor_name(actor),
            action=action,
            bank_code=bank_code,
            batch_id_ref=batch_id,
            file_sha256=file_sha256,
            details=json.loads(json.dumps(details or {}, default=str)),
            previous_hash=previous,
        )
        record.record_hash = compute_hash(record)
        record.save()
    return record


@dataclass(frozen=True)
class ChainProblem:
    record_id: int
    problem: str


def audit_chain_verify() -> tuple[int, list[ChainProblem]]:
    """Walk the chain in order; report every record whose hash or link does not hold."""
    problems: list[ChainProblem] = []
    previous = GENESIS
    count = 0
    for record in AuditRecord.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if record.previous_hash != previous:
            problems.append(ChainProblem(record.pk, "link to the previous record is broken"))
        if compute_hash(record) != record.record_hash:
            problems.append(ChainProblem(record.pk, "content does not match its hash (altered)"))
        previous = record.record_hash
    return count, problems
