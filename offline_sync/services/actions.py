"""One driver action applied to its stop inside a push: the rules for applied, rejected, conflict."""

import datetime
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from luckygas.delivery import services as delivery_services
from luckygas.delivery.models import RouteStop, StopStatus
from offline_sync.models import (
    ActionResult,
    ActionType,
    CashCollection,
    CashStatus,
    DriverDevice,
    MediaUpload,
    StopNote,
    SyncConflict,
)
from offline_sync.services.outcomes import driver_outcome, final_outcome_refusal, outcome_cash_collection


class ActionRejectedError(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(json.dumps(errors, ensure_ascii=False))
        self.errors = errors


def unstorable_message() -> str:
    return _("Contains a character that cannot be saved (a NUL or a broken emoji); remove it and save again.")


@dataclass
class ActionInput:
    """One pushed action: the envelope always; the rest only when it validated."""

    id: uuid.UUID
    seq: int
    body: Any
    action_type: str = ""
    stop_id: int | None = None
    base_version: int | None = None
    occurred_at: datetime.datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] | None = None


@dataclass
class ActionOutcome:
    result: str
    response: dict[str, Any]
    children: list[Any] = field(default_factory=list)
    conflict: SyncConflict | None = None
    touched: bool = False


class ActionConflict(Exception):
    def __init__(self, reason: str, message: str, *, keep: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.keep = keep


def stop_state(stop: RouteStop, *, driver_id: int | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "id": stop.pk,
        "status": stop.status,
        "version": stop.version,
        "sequence": stop.sequence,
        "cash_collected": stop.cash_collected,
        "empties_collected": stop.empties_collected,
        "completed_at": stop.completed_at.isoformat() if stop.completed_at else None,
    }
    if driver_id is not None:
        state["assigned_to_you"] = stop.route.driver_id == driver_id
    return state


@dataclass
class BatchContext:
    """What the actions of one push share: the locked device, the core's batch of stop changes,
    and what was read once for the whole batch."""

    device: DriverDevice
    stops: delivery_services.RouteStopBatch
    handed_to_me: set[int]
    # stop id → [(stop version, text, device pk)] of the notes already on the stop, oldest first
    notes: dict[int, list[tuple[int, str, int]]]
    # media IDs already bound to an action (in the database or earlier in this batch)
    known_media: set[uuid.UUID]


def action_apply(
    *,
    context: BatchContext,
    action: ActionInput,
    stop: RouteStop | None,
    effective_at: datetime.datetime,
) -> ActionOutcome:
    device = context.device
    if action.errors:
        return ActionOutcome(result=ActionResult.REJECTED, response={"result": "rejected", "errors": action.errors})
    if stop is None:
        return ActionOutcome(
            result=ActionResult.REJECTED, response={"result": "rejected", "errors": {"stop": [_("Unknown stop.")]}}
        )
    is_mine = stop.route.driver_id == device.driver_id
    if not is_mine and stop.pk not in context.handed_to_me:
        return ActionOutcome(
            result=ActionResult.REJECTED,
            response={"result": "rejected", "errors": {"stop": [_("This stop is not on your route.")]}},
        )
    children: list[Any] = []
    try:
        if not is_mine:
            raise ActionConflict(
                "reassigned", _("The office moved this stop to another driver."), keep=_keeps(action.action_type)
            )
        if stop.status == StopStatus.CANCELLED:
            raise ActionConflict("cancelled", _("The office cancelled this stop."), keep=_keeps(action.action_type))
        children = _apply_to_stop(context=context, action=action, stop=stop, effective_at=effective_at)
    except (ActionRejectedError, ValidationError) as error:
        errors = error.errors if isinstance(error, ActionRejectedError) else _error_dict(error)
        return ActionOutcome(result=ActionResult.REJECTED, response={"result": "rejected", "errors": errors})
    except ActionConflict as conflict:
        if conflict.keep:
            try:
                children = _kept_records(context=context, action=action, stop=stop, effective_at=effective_at)
            except ActionRejectedError as error:
                return ActionOutcome(
                    result=ActionResult.REJECTED, response={"result": "rejected", "errors": error.errors}
                )
        server_state = stop_state(stop, driver_id=device.driver_id)
        if conflict.reason == "concurrent_note":
            server_state["notes"] = [text for _version, text, _device in context.notes.get(stop.pk, [])]
        if not is_mine:
            # The new driver's details are none of this phone's business.
            server_state = {"id": stop.pk, "assigned_to_you": False}
        record = SyncConflict(
            action_id=action.id,
            stop=stop,
            reason=conflict.reason,
            server_state=server_state,
            client_state=action.body if isinstance(action.body, dict) else {"body": action.body},
        )
        return ActionOutcome(
            result=ActionResult.CONFLICT,
            response={
                "result": "conflict",
                "reason": conflict.reason,
                "message": conflict.message,
                "kept": conflict.keep,
                "stop": server_state,
            },
            children=children,
            conflict=record,
            touched=conflict.keep,
        )
    return ActionOutcome(
        result=ActionResult.APPLIED,
        response={"result": "applied", "stop": stop_state(stop, driver_id=device.driver_id)},
        children=children,
        touched=True,
    )


def _error_dict(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: [str(message) for message in messages] for name, messages in error.message_dict.items()}
    return {"non_field_errors": [str(message) for message in error.messages]}


def _keeps(action_type: str) -> bool:
    """Notes, photos and cash are facts from the street: never dropped, even on a conflict."""
    return action_type in {ActionType.NOTE, ActionType.ATTACH_MEDIA, ActionType.COLLECT_CASH}


def _kept_records(
    *, context: BatchContext, action: ActionInput, stop: RouteStop, effective_at: datetime.datetime
) -> list[Any]:
    if action.action_type == ActionType.NOTE:
        return [_note_record(context=context, action=action, stop=stop)]
    if action.action_type == ActionType.COLLECT_CASH:
        return [
            CashCollection(
                stop=stop,
                action_id=action.id,
                amount=action.payload["amount"],
                collected_at=effective_at,
                status=CashStatus.DISPUTED,
            )
        ]
    if action.action_type == ActionType.ATTACH_MEDIA:
        return [_media_record(context=context, action=action, stop=stop)]
    return []


def _note_record(*, context: BatchContext, action: ActionInput, stop: RouteStop) -> StopNote:
    note = StopNote(stop=stop, action_id=action.id, text=action.payload["text"], stop_version=stop.version)
    context.notes.setdefault(stop.pk, []).append((note.stop_version, note.text, context.device.pk))
    return note


def _media_record(*, context: BatchContext, action: ActionInput, stop: RouteStop) -> MediaUpload:
    if action.payload["media_id"] in context.known_media:
        raise ActionRejectedError({"media_id": [_("This media ID is already bound to another action.")]})
    context.known_media.add(action.payload["media_id"])
    return MediaUpload(
        id=action.payload["media_id"],
        action_id=action.id,
        stop=stop,
        kind=action.payload["kind"],
        sha256=action.payload["sha256"].lower(),
    )


def _apply_to_stop(
    *, context: BatchContext, action: ActionInput, stop: RouteStop, effective_at: datetime.datetime
) -> list[Any]:
    payload = action.payload
    kind = action.action_type
    outcome = driver_outcome(action_type=kind, payload=payload)
    if outcome is not None:
        if stop.is_final:
            raise ActionConflict("already_final", final_outcome_refusal(stop=stop))
        # The core checks the whole change before making it: a refusal leaves the stop as it was.
        context.stops.record_outcome(
            stop=stop,
            status=outcome.status,
            completed_at=effective_at,
            cash_collected=outcome.cash_collected,
            empties_collected=outcome.empties_collected,
            note=outcome.note,
        )
        cash = outcome_cash_collection(outcome=outcome, stop=stop, action_id=action.id, collected_at=effective_at)
        return [cash] if cash else []
    if kind == ActionType.COLLECT_CASH:
        context.stops.add_cash(stop=stop, amount=payload["amount"])
        return [CashCollection(stop=stop, action_id=action.id, amount=payload["amount"], collected_at=effective_at)]
    if kind == ActionType.COLLECT_EMPTIES:
        context.stops.add_empties(stop=stop, count=payload["count"])
        return []
    if kind == ActionType.NOTE:
        # Another phone's note the sender had not seen when it wrote this one.
        concurrent = any(
            version > (action.base_version or 0) and device_pk != context.device.pk
            for version, _text, device_pk in context.notes.get(stop.pk, [])
        )
        context.stops.touch(stop=stop)
        if concurrent:
            # Both notes are kept (the conflict keeps this one); a person decides which tells the truth.
            raise ActionConflict(
                "concurrent_note", _("Another note was added to this stop meanwhile; both are kept."), keep=True
            )
        return [_note_record(context=context, action=action, stop=stop)]
    if kind == ActionType.ATTACH_MEDIA:
        media = _media_record(context=context, action=action, stop=stop)
        context.stops.touch(stop=stop)
        return [media]
    raise ActionRejectedError({"type": [_("Unknown action type.")]})
