"""A phone's queue never jams on what a driver types, and no body, however hostile, is a 500.

Every action is answered (applied or rejected with the field named), `next_seq` moves past it,
and the actions after it apply. Bodies that are too large, nest too deeply or are not JSON are
refused with a 4xx and change nothing.
"""

import datetime
import itertools
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luckygas import text
from luckygas.delivery.models import StopStatus
from offline_sync.models import StopNote, SyncAction
from tests.offline_sync.factories import phone_for, started_route

HOSTILE_TEXTS = [
    "a\u0000b",
    "\ud83d",  # half an emoji: a phone cut the note in the middle of 😀
    "前門\udc00後門",
    "\u202eRTL override\u202c",
    "zero\u200bwidth",
    "😀" * 50,
    "x" * 10_000,
    "",
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_TEXTS),
    st.text(alphabet=st.characters(codec=None, categories=None), max_size=40),
)
hostile_number = st.one_of(
    st.sampled_from([2**63, -(2**63), 10**30, -1, 0]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(),
)


def _raw_post(phone, body: str):
    """POST a JSON text as the phone sends it (escapes like \\ud83d survive, unlike a dict)."""
    return phone.client.generic(
        "POST", "/api/v1/driver/sync", body.encode("utf-8", "surrogatepass"), content_type="application/json"
    )


def _encode(actions: list[dict]) -> str:
    # ensure_ascii: lone surrogates and NUL go over the wire as \\ud83d and \\u0000, as JSON.stringify sends them.
    return json.dumps({"actions": actions}, ensure_ascii=True)


@pytest.mark.parametrize("note", HOSTILE_TEXTS, ids=repr)
def test_a_note_the_database_cannot_hold_is_rejected_and_the_next_action_applies(route_a, phone_a, note):
    # given: a hostile note, then a delivery, in one batch
    first, second = route_a.stops.order_by("sequence")[:2]
    hostile = phone_a.action("note", first, text=note)
    delivery = phone_a.action("complete", second, cash_collected=950)

    # when
    response = _raw_post(phone_a, _encode([hostile, delivery]))

    # then: both answered, the queue moved past both, the delivery applied
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["next_seq"] == 3
    results = {result["id"]: result for result in body["results"]}
    second.refresh_from_db()
    assert results[delivery["id"]]["result"] == "applied"
    assert second.status == StopStatus.DELIVERED
    storable = note and text.is_storable(note) and len(note) <= 2000
    if storable:
        assert results[hostile["id"]]["result"] == "applied"
        assert StopNote.objects.get(stop=first).text == note
    else:
        assert results[hostile["id"]]["result"] == "rejected"
        assert list(results[hostile["id"]]["errors"]) == ["payload.text"]
        assert not StopNote.objects.filter(stop=first).exists()


def test_a_refused_action_is_kept_as_sent_and_its_resend_is_a_duplicate(route_a, phone_a):
    # given
    stop = route_a.stops.first()
    hostile = phone_a.action("note", stop, text="後門\ud83d")
    batch = _encode([hostile])
    first = _raw_post(phone_a, batch).json()

    # when: the response was lost and the phone resends the same bytes
    again = _raw_post(phone_a, batch).json()

    # then: one row, the text kept exactly as sent, the resend answered from it
    assert first["results"][0]["result"] == "rejected"
    assert again["results"][0]["result"] == "duplicate"
    assert again["next_seq"] == first["next_seq"] == 2
    stored = SyncAction.objects.get(pk=hostile["id"])
    assert json.loads(stored.body[text.ESCAPED_KEY]) == hostile


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(hostile_text, min_size=1, max_size=4),
    numbers=st.lists(hostile_number, min_size=1, max_size=3),
    data=st.data(),
)
def test_the_queue_moves_past_any_hostile_action(driver_a, texts, numbers, data):
    # given: a fresh phone and route, and a batch mixing hostile actions with valid deliveries
    route = started_route(driver_a, stops=3, date=timezone.localdate() + _days(data))
    phone = phone_for(driver_a)
    stops = list(route.stops.order_by("sequence"))
    hostile = []
    for value in texts:
        kind = data.draw(st.sampled_from(["note", "skip", "fail", "complete"]))
        payload = {"note": {"text": value}, "skip": {"reason": value}, "fail": {"reason": value}}.get(
            kind, {"note": value, "cash_collected": data.draw(st.sampled_from(numbers))}
        )
        hostile.append(phone.action(kind, stops[0], **payload))
    for number in numbers:
        hostile.append(phone.action("collect_cash", stops[1], amount=number))
    valid = phone.action("complete", stops[2], cash_collected=100)
    actions = [*hostile, valid]

    # when
    response = _raw_post(phone, _encode(actions))

    # then: never a 5xx, every action answered, the queue past all of them, the last delivery applied
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["next_seq"] == len(actions) + 1
    assert [result["id"] for result in body["results"]] == [action["id"] for action in actions]
    assert body["results"][-1]["result"] == "applied"
    assert all(result["result"] in {"applied", "rejected", "conflict"} for result in body["results"])


_day_counter = itertools.count(1)


def _days(_data: st.DataObject) -> datetime.timedelta:
    # Each example gets a day of its own: a driver has one route a day.
    return datetime.timedelta(days=next(_day_counter))
