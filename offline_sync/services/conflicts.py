"""Office side: resolving sync conflicts and reconciling the cash drivers collected."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery import services as delivery_services
from luckygas.delivery.models import RouteStop
from offline_sync.models import (
    CashCollection,
    CashStatus,
    ChangeKind,
    ChangeLogEntry,
    ConflictResolution,
    ConflictStatus,
    SyncAction,
    SyncConflict,
)
from offline_sync.services.changes import change_log_append
from offline_sync.services.outcomes import driver_outcome, final_outcome_refusal, outcome_cash_collection

# --- Office side: conflicts and cash -------------------------------------------------------


def conflict_resolve(
    *, conflict: SyncConflict, resolution: str, actor: AbstractBaseUser, note: str = ""
) -> SyncConflict:
    """Resolve an open conflict once (a claim by conditional UPDATE); audited with who and when.

    `apply_driver` applies the driver's outcome now, if the stop can still take it.
    """
    if resolution not in ConflictResolution.values:
        raise ValidationError({"resolution": _("Unknown resolution.")})
    with transaction.atomic():
        claimed = SyncConflict.objects.filter(pk=conflict.pk, status=ConflictStatus.OPEN).update(
            status=ConflictStatus.RESOLVED,
            resolution=resolution,
            resolution_note=note[:200],
            resolved_by=actor,
            resolved_at=timezone.now(),
        )
        if not claimed:
            raise ValidationError({"status": _("This conflict was already resolved.")})
        conflict.refresh_from_db()
        action = conflict.action
        if resolution == ConflictResolution.APPLY_DRIVER:
            stop = RouteStop.objects.select_for_update().select_related("route").get(pk=conflict.stop_id)
            _apply_driver_outcome(action=action, stop=stop, actor=actor)
        device = action.device
        change_log_append(
            entries=[
                ChangeLogEntry(
                    driver_id=device.driver_id,
                    stop_id=conflict.stop_id,
                    kind=ChangeKind.CONFLICT_RESOLVED,
                    data={"action_id": str(action.id), "resolution": resolution},
                )
            ]
        )
    return conflict


def _apply_driver_outcome(*, action: SyncAction, stop: RouteStop, actor: AbstractBaseUser) -> None:
    body = action.body if isinstance(action.body, dict) else {}
    outcome = driver_outcome(action_type=action.action_type, payload=body.get("payload") or {})
    if outcome is None:
        return
    if stop.is_final:
        raise ValidationError({"resolution": final_outcome_refusal(stop=stop)})
    completed_at = action.effective_at or action.received_at
    delivery_services.route_stop_record_outcome(
        stop=stop,
        status=outcome.status,
        completed_at=completed_at,
        cash_collected=outcome.cash_collected,
        empties_collected=outcome.empties_collected,
        note=outcome.note,
        actor=actor,
    )
    cash = outcome_cash_collection(outcome=outcome, stop=stop, action_id=action.id, collected_at=completed_at)
    if cash is not None:
        cash.save()


def cash_collection_set_status(*, collections: Iterable[CashCollection], status: str, actor: AbstractBaseUser) -> int:
    """Mark driver cash events reconciled (or disputed) after counting the cash in the office."""
    if status not in {CashStatus.RECONCILED, CashStatus.DISPUTED}:
        raise ValidationError({"status": _("Cash can only be marked reconciled or disputed.")})
    return CashCollection.objects.filter(pk__in=[item.pk for item in collections]).update(
        status=status, reconciled_by=actor, reconciled_at=timezone.now()
    )
