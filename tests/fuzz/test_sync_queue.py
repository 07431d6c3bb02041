"""A phone's queue never jams: after any hostile action, the seq moves and the next action applies.

Each example pushes one action with hostile payload values (NUL, lone surrogates, huge and
non-finite numbers, 10,000-character notes…), then a plain note with the next seq.
"""

import uuid
from typing import Any

from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from offline_sync.models import ActionType
from tests.fuzz import strategies
from tests.fuzz.conftest import FUZZ

PAYLOAD_FIELDS = ["text", "note", "reason", "amount", "count", "cash_collected", "empties_collected", "kind"]


def _push(world, action: dict[str, Any]):
    body = strategies.encode_json({"actions": [action]}, escaped=True)
    return world.driver.generic("POST", "/api/v1/driver/sync", body, content_type="application/json")


def _action(seq: int, stop: int, action_type: str, payload: Any, envelope: Any = None) -> dict[str, Any]:
    action = {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "type": action_type,
        "stop": stop,
        "base_version": 1,
        "occurred_at": timezone.now().isoformat(),
        "payload": payload,
    }
    action.update(envelope or {})
    return action


@FUZZ
@given(
    action_type=st.sampled_from(ActionType.values),
    payload=strategies.hostile_json_object(PAYLOAD_FIELDS) | strategies.hostile_value,
    envelope=st.dictionaries(st.sampled_from(["stop", "base_version", "occurred_at"]), strategies.hostile_value),
)
def test_a_hostile_action_never_jams_the_queue(world, action_type, payload, envelope):
    stop = world.route.stops.order_by("pk").first().pk
    seq = world.__dict__.setdefault("next_seq", 1)

    hostile = _push(world, _action(seq, stop, action_type, payload, envelope))
    following = _push(world, _action(seq + 1, stop, ActionType.NOTE, {"text": "後門進出"}))

    assert hostile.status_code == 200, f"{action_type} {payload!r:.200} {envelope!r:.200}: {hostile.status_code}"
    assert hostile.json()["next_seq"] == seq + 1
    assert following.status_code == 200
    assert [result["result"] for result in following.json()["results"]] == ["applied"]
    assert following.json()["next_seq"] == seq + 2
    world.next_seq = seq + 2


def test_a_note_with_a_nul_or_a_lone_surrogate_is_rejected_and_the_next_action_applies(world):
    stop = world.route.stops.order_by("pk").first().pk

    answers = [
        _push(world, _action(seq, stop, ActionType.NOTE, {"text": text}))
        for seq, text in ((1, "a\x00b"), (2, "\ud83d"))
    ]
    following = _push(world, _action(3, stop, ActionType.NOTE, {"text": "後門進出"}))

    assert [answer.status_code for answer in answers] == [200, 200]
    assert [answer.json()["results"][0]["result"] for answer in answers] == ["rejected", "rejected"]
    assert [result["result"] for result in following.json()["results"]] == ["applied"]
    assert following.json()["next_seq"] == 4
