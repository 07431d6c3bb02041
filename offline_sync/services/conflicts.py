"""Office side: resolving sync conflicts and reconciling the cash drivers collected."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery import services as delivery_services
from luckygas.delivery.models import RouteStop, StopStatus
from offline_sync.models import (
    ActionType,
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
    payload = body.get("payload") or {}
    status = {
        ActionType.COMPLETE: StopStatus.DELIVERED,
        ActionType.SKIP: StopStatus.SKIPPED,
        ActionType.FAIL: StopStatus.FAILED,
    }.get(action.action_type)
    if status is None:
        return
    if stop.is_final:
        raise ValidationError(
            {
                "resolution": _("The stop is already %(status)s; a final outcome never changes.")
                % {"status": StopStatus(stop.status).label}
            }
        )
    delivery_services.route_stop_record_outcome(
        stop=stop,
        status=status,
        completed_at=action.effective_at or action.received_at,
        cash_collected=int(payload.get("cash_collected") or 0) if status == StopStatus.DELIVERED else 0,
        empties_collected=int(payload.get("empties_collected") or 0) if status == StopStatus.DELIVERED else 0,
        note=str(payload.get("note") or payload.get("reason") or ""),
        actor=actor,
    )


def cash_collection_set_status(*, collections: Iterable[CashCollection], status: str, actor: AbstractBaseUser) -> int:
    """Mark driver cash events reconciled (or disputed) after counting the cash in the office."""
    if status not in {CashStatus.RECONCILED, CashStatus.DISPUTED}:
        raise ValidationError({"status": _("Cash can only be marked reconciled or disputed.")})
    return CashCollection.objects.filter(pk__in=[item.pk for item in collections]).update(
        status=status, reconciled_by=actor, reconciled_at=timezone.now()
    )
