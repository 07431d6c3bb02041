"""Per-customer daily cap, system-wide per-minute cap and critical bypasses, enforced in Redis."""

import datetime

import pytest

from sms import limits, services
from sms.models import LimitBypass, Message, MessageStatus, Priority
from tests.sms.helpers import enqueue_and_dispatch, taipei

NOW = taipei(2026, 11, 25, 10, 0, 5)


@pytest.mark.django_db
def test_sixth_message_to_a_customer_waits_for_tomorrow_and_a_critical_one_passes_recorded(sms_rig, customer):
    # given: five messages today
    for number in range(5):
        _message, result = enqueue_and_dispatch(now=NOW, idempotency_key=f"cap:{number}", customer=customer, body="hi")
        assert result == "accepted"

    # when
    sixth, result = enqueue_and_dispatch(now=NOW, idempotency_key="cap:6", customer=customer, body="hi")

    # then
    assert result == f"deferred:{limits.CUSTOMER_CAP}"
    assert sixth.status == MessageStatus.QUEUED
    assert sixth.not_before == taipei(2026, 11, 26, 0, 0)
    assert sixth.deferred_reason == limits.CUSTOMER_CAP
    assert sms_rig["mitake"].handset_count() == 5

    # when: a critical message the same day
    critical, result = enqueue_and_dispatch(
        now=NOW,
        idempotency_key="cap:critical",
        customer=customer,
        body="付款失敗，請聯絡我們",
        priority=Priority.CRITICAL,
    )

    # then
    assert result == "accepted"
    assert list(LimitBypass.objects.values_list("message_id", "limit")) == [(critical.pk, limits.CUSTOMER_CAP)]
    assert sms_rig["mitake"].handset_count() == 6

    # and tomorrow the sixth goes out
    tomorrow = taipei(2026, 11, 26, 0, 0, 1)
    assert services.message_dispatch(message_id=sixth.pk, now=tomorrow) == "accepted"


@pytest.mark.django_db
def test_the_101st_message_in_a_minute_waits_for_the_next_minute(sms_rig):
    # given: 100 single-segment messages to different people in one minute
    for number in range(100):
        _message, result = enqueue_and_dispatch(
            now=NOW, idempotency_key=f"burst:{number}", phone=f"0912{number:06d}", body="hello"
        )
        assert result == "accepted", number

    # when
    late, result = enqueue_and_dispatch(now=NOW, idempotency_key="burst:101", phone="0933000101", body="hello")

    # then
    assert result == f"deferred:{limits.SYSTEM_CAP}"
    assert late.status == MessageStatus.QUEUED
    assert late.not_before == taipei(2026, 11, 25, 10, 1, 0)
    assert sms_rig["mitake"].handset_count() == 100
    next_minute = NOW + datetime.timedelta(minutes=1)
    assert services.message_dispatch(message_id=late.pk, now=next_minute) == "accepted"


@pytest.mark.django_db
def test_limits_are_counted_in_segments(sms_rig, customer):
    long_body = "瓦" * 140  # 140 UCS-2 characters = 3 segments of 67

    first, result = enqueue_and_dispatch(now=NOW, idempotency_key="seg:1", customer=customer, body=long_body)
    _second, second_result = enqueue_and_dispatch(now=NOW, idempotency_key="seg:2", customer=customer, body=long_body)

    assert (first.billable_units, result) == (3, "accepted")
    assert second_result == f"deferred:{limits.CUSTOMER_CAP}"


@pytest.mark.django_db
def test_a_lost_daily_counter_is_rebuilt_from_the_database(sms_rig, private_redis, customer):
    for number in range(5):
        enqueue_and_dispatch(now=NOW, idempotency_key=f"rebuild:{number}", customer=customer, body="hi")

    # when: Redis forgets everything
    private_redis.flush()
    _sixth, result = enqueue_and_dispatch(now=NOW, idempotency_key="rebuild:6", customer=customer, body="hi")

    # then: the cap still holds
    assert result == f"deferred:{limits.CUSTOMER_CAP}"
    assert Message.objects.filter(status=MessageStatus.ACCEPTED).count() == 5


@pytest.mark.django_db
def test_provider_rate_defers_by_milliseconds_not_drops(sms_rig, providers, customer):
    providers["mitake"].rate_per_second = 1
    providers["mitake"].save()
    _first, result = enqueue_and_dispatch(now=NOW, idempotency_key="rate:1", phone="0912000001", body="a")
    second, second_result = enqueue_and_dispatch(now=NOW, idempotency_key="rate:2", phone="0912000002", body="b")

    assert result == "accepted"
    assert second_result == f"deferred:{limits.PROVIDER_RATE}"
    assert second.not_before == NOW + datetime.timedelta(seconds=1)
