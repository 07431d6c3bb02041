"""Stored account numbers moved to the current key after a key rotation (see crypto.account_keys)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction

from banking import crypto
from banking.audit import audit_record_append

ENCRYPTED_FIELD = "account_encrypted"


@dataclass
class ReencryptResult:
    checked: int = 0
    reencrypted: int = 0
    # (model label, primary key) of the numbers no configured key opens: left exactly as they are.
    unreadable: list[tuple[str, object]] = field(default_factory=list)


def encrypted_account_models() -> list[type[models.Model]]:
    """Every model that stores an account number (banking's accounts, v3's accounts awaiting review)."""
    return [
        model
        for model in apps.get_models()
        if any(model_field.name == ENCRYPTED_FIELD for model_field in model._meta.get_fields())
    ]


def bank_accounts_reencrypt(
    *,
    actor: str = "system",
    dry_run: bool = False,
    batch_size: int = 500,
    progress: Callable[[str, int, int], None] | None = None,
) -> ReencryptResult:
    """Re-encrypt under the current key every number that an older key opened.

    One transaction per batch, rows locked while rewritten, so the web can keep running and an
    interrupted run simply continues (numbers already under the current key are skipped). A number
    no key opens is reported and never touched. The run is recorded in the audit trail.
    """
    result = ReencryptResult()
    for model in encrypted_account_models():
        label = model._meta.label
        total = model.objects.count()
        done = 0
        last_pk = None
        while True:
            with transaction.atomic():
                rows = model.objects.order_by("pk").select_for_update()
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows.only("pk", ENCRYPTED_FIELD)[:batch_size])
                for row in batch:
                    result.checked += 1
                    token = getattr(row, ENCRYPTED_FIELD)
                    try:
                        number, position = crypto.decrypt_account_with_key(token)
                    except (crypto.AccountKeyError, ValueError):
                        result.unreadable.append((label, row.pk))
                        continue
                    if position == 0:
                        continue
                    result.reencrypted += 1
                    if not dry_run:
                        setattr(row, ENCRYPTED_FIELD, crypto.encrypt_account(number))
                        row.save(update_fields=[ENCRYPTED_FIELD])
            if not batch:
                break
            last_pk = batch[-1].pk
            done += len(batch)
            if progress is not None:
                progress(label, done, total)
    if not dry_run:
        audit_record_append(
            action="accounts.reencrypted",
            actor=actor,
            details={
                "checked": result.checked,
                "reencrypted": result.reencrypted,
                "unreadable": [f"{label}#{pk}" for label, pk in result.unreadable],
            },
        )
    return result
