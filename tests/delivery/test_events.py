"""Domain events: after-commit delivery and in-transaction (outbox) delivery."""

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from luckygas.delivery import events


@pytest.fixture
def recorded() -> Any:
    calls: list[dict[str, Any]] = []

    def handler(**payload: Any) -> None:
        calls.append(payload)

    events.subscribe("test.event", handler)
    yield calls
    events.unsubscribe("test.event", handler)


@pytest.mark.django_db(transaction=True)
def test_publish_on_commit_waits_for_the_commit(recorded: list[dict[str, Any]]) -> None:
    with transaction.atomic():
        events.publish_on_commit("test.event", value=1)
        assert recorded == []
    assert recorded == [{"event": "test.event", "value": 1}]


@pytest.mark.django_db(transaction=True)
def test_publish_on_commit_is_dropped_with_a_rollback(recorded: list[dict[str, Any]]) -> None:
    def publish_then_fail() -> None:
        with transaction.atomic():
            events.publish_on_commit("test.event", value=1)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        publish_then_fail()
    assert recorded == []


@pytest.mark.django_db(transaction=True)
def test_publish_in_transaction_calls_subscribers_inside_the_transaction(recorded: list[dict[str, Any]]) -> None:
    with transaction.atomic():
        events.publish_in_transaction("test.event", value=2)
        assert recorded == [{"event": "test.event", "value": 2}]


@pytest.mark.django_db(transaction=True)
def test_a_failing_in_transaction_subscriber_rolls_back_the_business_change() -> None:
    def failing(**_payload: Any) -> None:
        raise ValueError("outbox write failed")

    events.subscribe("test.failing", failing)
    try:

        def change_and_publish() -> None:
            with transaction.atomic():
                Group.objects.create(name="business change")
                events.publish_in_transaction("test.failing")

        with pytest.raises(ValueError, match="outbox write failed"):
            change_and_publish()
    finally:
        events.unsubscribe("test.failing", failing)
    assert not Group.objects.filter(name="business change").exists()


@pytest.mark.django_db(transaction=True)
def test_facts_published_together_reach_a_many_subscriber_in_one_call(recorded: list[dict[str, Any]]) -> None:
    calls: list[dict[str, Any]] = []

    def many(**publication: Any) -> None:
        calls.append(publication)

    events.subscribe_many("test.event", many)
    try:
        with transaction.atomic():
            events.publish_many_on_commit("test.event", [{"value": 1}, {"value": 2}])
            events.publish_on_commit("test.event", value=3)
            assert calls == []
    finally:
        events.unsubscribe("test.event", many)
    # then the batch arrives as one call, a single fact as a list of one
    assert calls == [
        {"event": "test.event", "payloads": [{"value": 1}, {"value": 2}]},
        {"event": "test.event", "payloads": [{"value": 3}]},
    ]
    # and a per-fact subscriber still gets each fact on its own
    assert recorded == [{"event": "test.event", "value": value} for value in (1, 2, 3)]
