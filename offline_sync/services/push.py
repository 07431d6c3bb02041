"""The push of driver actions: each applied at most once, a batch in one transaction per device."""

import datetime
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from luckygas import text
from luckygas.delivery import services as delivery_services
from offline_sync import constants, metrics
from offline_sync.models import (
    ActionType,
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
from offline_sync.services.actions import (
    ActionInput,
    BatchContext,
    action_apply,
    unstorable_message,
)
from offline_sync.services.changes import PUSH_SOURCE, change_log_append

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


def action_body_hash(body: Any) -> str:
    """SHA-256 of the action as sent, with keys sorted: the same action resent hashes the same."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    # A lone surrogate (a note cut in the middle of an emoji) is hashed too, not refused.
    return hashlib.sha256(text.utf8(canonical)).hexdigest()


@dataclass
class PushResult:
    results: list[dict[str, Any]]
    next_seq: int
    server_time: datetime.datetime


def sync_push(
    *, device: DriverDevice, actions: Sequence[ActionInput], sent_at: datetime.datetime | None = None
) -> PushResult:
    """Apply a batch of ≤ 10 actions of one device, each at most once, in one transaction.

    Raises SeqGapError (nothing applied) when the first new action is not the device's next
    seq, ActionIdReusedError when a known id comes with another body, DeviceRevokedError, and
    django.db.OperationalError (nothing applied; the API answers 503) when a lock is not had
    within settings.SYNC_PUSH_LOCK_TIMEOUT_MS. Stop changes go through the core's RouteStopBatch, so
    the queries of a push do not grow with its number of actions.
    """
    received_at = timezone.now()
    clock_offset = _clamp_seconds((received_at - sent_at).total_seconds()) if sent_at else None
    touched_stop_ids: set[int] = set()
    with transaction.atomic():
        _set_lock_timeout()
        # Lock the device row only (a FOR UPDATE over the joins would lock the driver and the user
        # too); the driver and user were loaded with the device by the authentication.
        locked = DriverDevice.objects.select_for_update().get(pk=device.pk)
        locked.driver = device.driver
        if locked.is_revoked:
            raise DeviceRevokedError
        hashes = [action_body_hash(action.body) for action in actions]
        known = {
            action.id: action
            for action in SyncAction.objects.filter(id__in=[action.id for action in actions])
            .order_by()  # the model's ordering joins the device and the driver only to sort
            .only("id", "device_id", "body_hash", "response")
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
        context = BatchContext(
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
                if action.occurred_at > received_at + datetime.timedelta(seconds=constants.FUTURE_TOLERANCE_SECONDS):
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
                action.errors = {path: [unstorable_message()] for path in unstorable}
            outcome = action_apply(
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


def _set_lock_timeout() -> None:
    """Wait at most PUSH_LOCK_TIMEOUT_MS for a lock (the device, its stops): then the push fails with 503."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{settings.SYNC_PUSH_LOCK_TIMEOUT_MS}ms"])


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
