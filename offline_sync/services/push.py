"""The push of driver actions: each applied at most once, a batch in one transaction per device."""

import datetime
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas import text
from luckygas.delivery import services as delivery_services
from luckygas.delivery.models import RouteStop, StopStatus
from offline_sync import conf, metrics
from offline_sync.models import (
    ActionResult,
    ActionType,
    CashCollection,
    CashStatus,
    ChangeKind,
    ChangeLogEntry,
    ClockFlag,
    DriverDevice,
    MediaUpload,
    StopAssignment,
    StopNote,
    SyncAction,
    SyncConflict,
)
from offline_sync.services.changes import PUSH_SOURCE, change_log_append
from offline_sync.services.outcomes import driver_outcome, outcome_cash_collection

# --- Push ----------------------------------------------------------------------------------


class SeqGapError(Exception):
    def __init__(self, *, expected_seq: int, received_seq: int) -> None:
        super().__init__(f"expected seq {expected_seq}, got {received_seq}")
        self.expected_seq = expected_seq
        self.received_seq = received_seq


class ActionIdReusedError(Exception):
    def __init__(self, *, action_ids: list[str]) -> None:
        super().__init__(", ".join(action_ids))
        self.action_ids = action_ids


class DeviceRevokedError(Exception):
    pass


class ActionRejectedError(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(json.dumps(errors, ensure_ascii=False))
        self.errors = errors


def action_body_hash(body: Any) -> str:
    """SHA-256 of the action as sent, with keys sorted: the same action resent hashes the same."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    # A lone surrogate (a note cut in the middle of an emoji) is hashed too, not refused.
    return hashlib.sha256(text.utf8(canonical)).hexdigest()


def _unstorable_message() -> str:
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
class _Outcome:
    result: str
    response: dict[str, Any]
    children: list[Any] = field(default_factory=list)
    conflict: SyncConflict | None = None
    touched: bool = False


class _Conflict(Exception):
    def __init__(self, reason: str, message: str, *, keep: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.keep = keep


@dataclass
class PushResult:
    results: list[dict[str, Any]]
    next_seq: int
    server_time: datetime.datetime


def _stop_state(stop: RouteStop, *, driver_id: int | None = None) -> dict[str, Any]:
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


def sync_push(
    *, device: DriverDevice, actions: Sequence[ActionInput], sent_at: datetime.datetime | None = None
) -> PushResult:
    """Apply a batch of ≤ 10 actions of one device, each at most once, in one transaction.

    Raises SeqGapError (nothing applied) when the first new action is not the device's next
    seq, ActionIdReusedError when a known id comes with another body, DeviceRevokedError, and
    django.db.OperationalError (nothing applied; the API answers 503) when a lock is not had
    within conf.PUSH_LOCK_TIMEOUT_MS. Stop changes go through the core's RouteStopBatch, so
    the queries of a push do not grow with its number of actions.
    """
    received_at = timezone.now()
    clock_offset = _clamp_seconds((received_at - sent_at).total_seconds()) if sent_at else None
    touched_stop_ids: set[int] = set()
    with transaction.atomic():
        _set_lock_timeout()
        locked = DriverDevice.objects.select_for_update().select_related("driver__user").get(pk=device.pk)
        if locked.is_revoked:
            raise DeviceRevokedError
        hashes = [action_body_hash(action.body) for action in actions]
        known = {
            action.id: action
            for action in SyncAction.objects.filter(id__in=[action.id for action in actions]).only(
                "id", "device_id", "body_hash", "response"
            )
        }
        _check_sequence(locked, actions, hashes, known)

        new_actions = [action for action in actions if action.id not in known]
        stop_ids = {action.stop_id for action in new_actions if action.stop_id is not None and not action.errors}
        stops = delivery_services.route_stops_lock(stop_ids=stop_ids)
        foreign = [stop.pk for stop in stops.values() if stop.route.driver_id != locked.driver_id]
        handed_to_me = (
            set(
                StopAssignment.objects.filter(stop_id__in=foreign, driver_id=locked.driver_id).values_list(
                    "stop_id", flat=True
                )
            )
            if foreign
            else set()
        )
        context = _BatchContext(
            device=locked,
            stops=delivery_services.RouteStopBatch(actor=locked.driver.user, source=PUSH_SOURCE),
            handed_to_me=handed_to_me,
            notes=_notes_of(new_actions),
            known_media=_known_media(new_actions),
        )

        results: list[dict[str, Any]] = []
        rows: list[SyncAction] = []
        children: dict[type, list[Any]] = {}
        conflicts: list[SyncConflict] = []
        latest_occurred = locked.last_occurred_at
        queue_lag = None
        applied_in_batch: dict[uuid.UUID, dict[str, Any]] = {}
        lags: list[int] = []
        for action, body_hash in zip(actions, hashes, strict=True):
            stored = known.get(action.id)
            if stored is None and action.id in applied_in_batch:
                stored_response = applied_in_batch[action.id]
            elif stored is not None:
                stored_response = stored.response
            else:
                stored_response = None
            if stored_response is not None:
                results.append({**stored_response, "result": "duplicate", "first_result": stored_response["result"]})
                continue
            flags: list[str] = []
            effective_at = None
            if action.occurred_at is not None:
                if action.occurred_at > received_at + datetime.timedelta(seconds=conf.FUTURE_TOLERANCE_SECONDS):
                    flags.append(ClockFlag.FUTURE)
                if latest_occurred is not None and action.occurred_at < latest_occurred:
                    flags.append(ClockFlag.OUT_OF_ORDER)
                latest_occurred = max(latest_occurred or action.occurred_at, action.occurred_at)
                try:
                    corrected = action.occurred_at + datetime.timedelta(seconds=clock_offset or 0)
                except OverflowError:  # an absurd phone clock: fall back to the server's time
                    corrected = received_at
                effective_at = min(corrected, received_at)
                lag = _clamp_seconds((received_at - effective_at).total_seconds())
                queue_lag = max(queue_lag or 0, lag)
                lags.append(lag)
            if not action.errors and (unstorable := text.unstorable_paths(action.body)):
                # Refused, never a 500: the phone's queue moves on past it (see luckygas.text).
                action.errors = {path: [_unstorable_message()] for path in unstorable}
            outcome = _apply_action(
                context=context,
                action=action,
                stop=stops.get(action.stop_id) if action.stop_id is not None else None,
                effective_at=effective_at or received_at,
            )
            response = text.replace_unstorable(
                {"id": str(action.id), "seq": action.seq, **outcome.response, "flags": flags}
            )
            results.append(response)
            applied_in_batch[action.id] = response
            if outcome.touched and action.stop_id is not None:
                touched_stop_ids.add(action.stop_id)
            rows.append(
                SyncAction(
                    id=action.id,
                    device=locked,
                    seq=action.seq,
                    action_type=text.replace_unstorable(action.action_type or str(_body_get(action.body, "type")))[:20],
                    stop_id=action.stop_id if action.stop_id in stops else None,
                    base_version=action.base_version,
                    body=text.storable_json(action.body),
                    body_hash=body_hash,
                    occurred_at=action.occurred_at,
                    received_at=received_at,
                    clock_offset_seconds=clock_offset,
                    effective_at=effective_at,
                    clock_flags=flags,
                    result=outcome.result,
                    response=response,
                )
            )
            for child in outcome.children:
                children.setdefault(type(child), []).append(child)
            if outcome.conflict is not None:
                conflicts.append(outcome.conflict)

        context.stops.save()
        transaction.on_commit(lambda: metrics.observe_sync_lag(lags))
        # Foreign keys are deferred to commit, so children can go in after their action.
        SyncAction.objects.bulk_create(rows)
        for model, objects in children.items():
            model.objects.bulk_create(objects)
        SyncConflict.objects.bulk_create(conflicts)
        next_seq = locked.next_seq + len(rows)
        DriverDevice.objects.filter(pk=locked.pk).update(
            next_seq=next_seq,
            last_sync_at=received_at,
            last_occurred_at=latest_occurred,
            queue_lag_seconds=queue_lag if rows else locked.queue_lag_seconds,
            clock_offset_seconds=clock_offset if clock_offset is not None else locked.clock_offset_seconds,
        )
        if touched_stop_ids:
            change_log_append(
                entries=[
                    ChangeLogEntry(
                        driver_id=stops[stop_id].route.driver_id,
                        route_id=stops[stop_id].route_id,
                        stop_id=stop_id,
                        kind=ChangeKind.STOP_CHANGED,
                        data={
                            "status": stops[stop_id].status,
                            "version": stops[stop_id].version,
                            "device_id": str(locked.device_id),
                        },
                    )
                    for stop_id in sorted(touched_stop_ids)
                ]
            )
    return PushResult(results=results, next_seq=next_seq, server_time=received_at)


@dataclass
class _BatchContext:
    """What the actions of one push share: the locked device, the core's batch of stop changes,
    and what was read once for the whole batch."""

    device: DriverDevice
    stops: delivery_services.RouteStopBatch
    handed_to_me: set[int]
    # stop id → [(stop version, text, device pk)] of the notes already on the stop, oldest first
    notes: dict[int, list[tuple[int, str, int]]]
    # media IDs already bound to an action (in the database or earlier in this batch)
    known_media: set[uuid.UUID]


def _set_lock_timeout() -> None:
    """Wait at most PUSH_LOCK_TIMEOUT_MS for a lock (the device, its stops): then the push fails with 503."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{conf.PUSH_LOCK_TIMEOUT_MS}ms"])


def _notes_of(actions: Sequence[ActionInput]) -> dict[int, list[tuple[int, str, int]]]:
    stop_ids = {action.stop_id for action in actions if action.action_type == ActionType.NOTE and not action.errors}
    notes: dict[int, list[tuple[int, str, int]]] = {stop_id: [] for stop_id in stop_ids if stop_id is not None}
    if notes:
        rows = (
            StopNote.objects.filter(stop_id__in=list(notes))
            .order_by("created_at", "pk")
            .values_list("stop_id", "stop_version", "text", "action__device_id")
        )
        for stop_id, version, text, device_pk in rows:
            notes[stop_id].append((version, text, device_pk))
    return notes


def _known_media(actions: Sequence[ActionInput]) -> set[uuid.UUID]:
    media_ids = [
        action.payload["media_id"]
        for action in actions
        if action.action_type == ActionType.ATTACH_MEDIA and not action.errors and "media_id" in action.payload
    ]
    if not media_ids:
        return set()
    return set(MediaUpload.objects.filter(pk__in=media_ids).values_list("pk", flat=True))


def _clamp_seconds(seconds: float) -> int:
    """Whole seconds that fit the integer columns, whatever a broken phone clock says."""
    limit = 2**31 - 1
    return max(-limit, min(limit, round(seconds)))


def _body_get(body: Any, key: str) -> Any:
    return body.get(key, "") if isinstance(body, dict) else ""


def _check_sequence(
    device: DriverDevice, actions: Sequence[ActionInput], hashes: Sequence[str], known: dict[uuid.UUID, SyncAction]
) -> None:
    reused = [
        str(action.id)
        for action, body_hash in zip(actions, hashes, strict=True)
        if action.id in known and (known[action.id].device_id != device.pk or known[action.id].body_hash != body_hash)
    ]
    seen: dict[uuid.UUID, str] = {}
    for action, body_hash in zip(actions, hashes, strict=True):
        if action.id in seen and seen[action.id] != body_hash:
            reused.append(str(action.id))
        seen.setdefault(action.id, body_hash)
    if reused:
        raise ActionIdReusedError(action_ids=reused)
    expected = device.next_seq
    counted: set[uuid.UUID] = set()
    for action in actions:
        if action.id in known or action.id in counted:
            continue
        if action.seq != expected:
            raise SeqGapError(expected_seq=expected, received_seq=action.seq)
        counted.add(action.id)
        expected += 1


def _apply_action(
    *,
    context: _BatchContext,
    action: ActionInput,
    stop: RouteStop | None,
    effective_at: datetime.datetime,
) -> _Outcome:
    device = context.device
    if action.errors:
        return _Outcome(result=ActionResult.REJECTED, response={"result": "rejected", "errors": action.errors})
    if stop is None:
        return _Outcome(
            result=ActionResult.REJECTED, response={"result": "rejected", "errors": {"stop": [_("Unknown stop.")]}}
        )
    is_mine = stop.route.driver_id == device.driver_id
    if not is_mine and stop.pk not in context.handed_to_me:
        return _Outcome(
            result=ActionResult.REJECTED,
            response={"result": "rejected", "errors": {"stop": [_("This stop is not on your route.")]}},
        )
    children: list[Any] = []
    try:
        if not is_mine:
            raise _Conflict(
                "reassigned", _("The office moved this stop to another driver."), keep=_keeps(action.action_type)
            )
        if stop.status == StopStatus.CANCELLED:
            raise _Conflict("cancelled", _("The office cancelled this stop."), keep=_keeps(action.action_type))
        children = _apply_to_stop(context=context, action=action, stop=stop, effective_at=effective_at)
    except (ActionRejectedError, ValidationError) as error:
        errors = error.errors if isinstance(error, ActionRejectedError) else _error_dict(error)
        return _Outcome(result=ActionResult.REJECTED, response={"result": "rejected", "errors": errors})
    except _Conflict as conflict:
        if conflict.keep:
            try:
                children = _kept_records(context=context, action=action, stop=stop, effective_at=effective_at)
            except ActionRejectedError as error:
                return _Outcome(result=ActionResult.REJECTED, response={"result": "rejected", "errors": error.errors})
        server_state = _stop_state(stop, driver_id=device.driver_id)
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
        return _Outcome(
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
    return _Outcome(
        result=ActionResult.APPLIED,
        response={"result": "applied", "stop": _stop_state(stop, driver_id=device.driver_id)},
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
    *, context: _BatchContext, action: ActionInput, stop: RouteStop, effective_at: datetime.datetime
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


def _note_record(*, context: _BatchContext, action: ActionInput, stop: RouteStop) -> StopNote:
    note = StopNote(stop=stop, action_id=action.id, text=action.payload["text"], stop_version=stop.version)
    context.notes.setdefault(stop.pk, []).append((note.stop_version, note.text, context.device.pk))
    return note


def _media_record(*, context: _BatchContext, action: ActionInput, stop: RouteStop) -> MediaUpload:
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
    *, context: _BatchContext, action: ActionInput, stop: RouteStop, effective_at: datetime.datetime
) -> list[Any]:
    payload = action.payload
    kind = action.action_type
    outcome = driver_outcome(action_type=kind, payload=payload)
    if outcome is not None:
        if stop.is_final:
            raise _Conflict(
                "already_final",
                _("This stop is already %(status)s; a final outcome never changes.")
                % {"status": StopStatus(stop.status).label},
            )
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
            raise _Conflict(
                "concurrent_note", _("Another note was added to this stop meanwhile; both are kept."), keep=True
            )
        return [_note_record(context=context, action=action, stop=stop)]
    if kind == ActionType.ATTACH_MEDIA:
        media = _media_record(context=context, action=action, stop=stop)
        context.stops.touch(stop=stop)
        return [media]
    raise ActionRejectedError({"type": [_("Unknown action type.")]})
