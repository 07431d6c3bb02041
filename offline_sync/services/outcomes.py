"""The one rule for what a driver's complete / skip / fail action says happened at a stop.

A push applies it as it arrives; the office applies it later when it resolves a conflict by
accepting the driver's version. Both call `driver_outcome` and `outcome_cash_collection`, so the
stop, the order and the cash books end the same either way.
"""

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from luckygas.delivery.models import RouteStop, StopStatus
from offline_sync.models import ActionType, CashCollection

OUTCOME_STATUSES = {
    ActionType.COMPLETE: StopStatus.DELIVERED,
    ActionType.SKIP: StopStatus.SKIPPED,
    ActionType.FAIL: StopStatus.FAILED,
}


@dataclass(frozen=True)
class DriverOutcome:
    status: str
    cash_collected: int
    empties_collected: int
    note: str


def driver_outcome(*, action_type: str, payload: Mapping[str, Any]) -> DriverOutcome | None:
    """The stop outcome a validated action's payload states; None for actions that state none."""
    status = OUTCOME_STATUSES.get(action_type)
    if status is None:
        return None
    if status == StopStatus.DELIVERED:
        return DriverOutcome(
            status=status,
            cash_collected=int(payload.get("cash_collected") or 0),
            empties_collected=int(payload.get("empties_collected") or 0),
            note=str(payload.get("note") or ""),
        )
    return DriverOutcome(status=status, cash_collected=0, empties_collected=0, note=str(payload.get("reason") or ""))


def outcome_cash_collection(
    *, outcome: DriverOutcome, stop: RouteStop, action_id: uuid.UUID, collected_at: datetime.datetime
) -> CashCollection | None:
    """The cash event to reconcile in the office for an outcome that collected cash (unsaved)."""
    if not outcome.cash_collected:
        return None
    return CashCollection(stop=stop, action_id=action_id, amount=outcome.cash_collected, collected_at=collected_at)


def final_outcome_refusal(*, stop: RouteStop) -> str:
    """Why no outcome can be applied to this stop, which already has a final one."""
    return _("This stop is already %(status)s; a final outcome never changes.") % {
        "status": StopStatus(stop.status).label
    }
