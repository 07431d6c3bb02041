"""Failover between providers, without duplicates, and the shared circuit breaker."""

import datetime

import pytest
from django.utils import timezone

from sms import limits, services
from sms.models import Attempt, AttemptStatus, Message, MessageStatus, Provider
from tests.sms.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _final(message: Message) -> bool:
    message.refresh_from_db()
    return message.status in (MessageStatus.ACCEPTED, MessageStatus.FAILED)


def _send_calls(server) -> int:
    return sum(1 for path, _form in server.requests if path.endswith("SmSend"))


def test_mitake_down_every8d_carries_the_message_once(celery_worker, sms_rig, customer):
    # given
    sms_rig["mitake"].script.extend(["down"] * 5)

    # when
    message = services.message_enqueue(idempotency_key="f:1", customer=customer, body="訂單已確認")

    # then
    wait_for(lambda: _final(message), what="a final send result")
    assert message.status == MessageStatus.ACCEPTED
    assert message.provider == "every8d"
    assert sms_rig["mitake"].handset_count() == 0
    assert sms_rig["every8d"].handset_count("0912345678") == 1
    assert list(Attempt.objects.filter(message=message).values_list("provider", "status")) == [
        ("mitake", AttemptStatus.REJECTED),
        ("every8d", AttemptStatus.ACCEPTED),
    ]


def test_circuit_opens_after_three_failures_and_closes_after_the_cooldown(celery_worker, sms_rig, customer):
    # given
    Provider.objects.filter(name="mitake").update(cooldown_seconds=60)
    sms_rig["mitake"].script.extend(["down"] * 3)
    cooldown = datetime.timedelta(seconds=60)

    # when: three messages each fail on Mitake once
    before = timezone.now()
    first = [services.message_enqueue(idempotency_key=f"c:{n}", customer=customer, body="hi") for n in range(3)]
    for message in first:
        wait_for(lambda message=message: _final(message), what="failover")
    after = timezone.now()  # the circuit opened between `before` and `after`

    # then: the circuit is open and the next message skips Mitake entirely
    assert limits.circuit_state(provider="mitake", now=timezone.now()) == "open"
    assert _send_calls(sms_rig["mitake"]) == 3
    skipped = services.message_enqueue(idempotency_key="c:skip", customer=customer, body="hi")
    wait_for(lambda: _final(skipped), what="sent while open")
    assert skipped.provider == "every8d"
    assert _send_calls(sms_rig["mitake"]) == 3
    assert sms_rig["every8d"].handset_count() == 4

    # when: the cooldown passes (the clock the breaker is given moves on; nobody sleeps), a probe
    # goes to Mitake and succeeds
    assert limits.circuit_state(provider="mitake", now=before + cooldown - datetime.timedelta(seconds=1)) == "open"
    after_cooldown = after + cooldown
    assert limits.circuit_state(provider="mitake", now=after_cooldown) == "half_open"
    probe = services.message_enqueue(
        idempotency_key="c:probe", customer=customer, body="hi", not_before=after_cooldown
    )  # the worker's own try now finds it not yet due; the dispatch below runs at `after_cooldown`
    assert services.message_dispatch(message_id=probe.pk, now=after_cooldown) == "accepted"
    probe.refresh_from_db()

    # then
    assert probe.provider == "mitake"
    assert probe.status == MessageStatus.ACCEPTED
    assert limits.circuit_state(provider="mitake", now=after_cooldown) == "closed"
    assert sms_rig["mitake"].handset_count() == 1


def test_twilio_carries_the_message_through_the_sdk_when_both_taiwan_providers_fail(celery_worker, sms_rig, customer):
    # given
    sms_rig["mitake"].script.extend(["code:e"])
    sms_rig["every8d"].script.extend(["error:-101"])

    # when
    message = services.message_enqueue(idempotency_key="f:twilio", customer=customer, body="Your gas is on the way")

    # then
    wait_for(lambda: _final(message), what="twilio")
    assert message.status == MessageStatus.ACCEPTED
    assert message.provider == "twilio"
    assert message.provider_message_id.startswith("SM")
    assert sms_rig["twilio"].handset_count("+886912345678") == 1
    assert sms_rig["mitake"].handset_count() + sms_rig["every8d"].handset_count() == 0
    assert list(Attempt.objects.filter(message=message).values_list("error_code", flat=True)) == [
        "provider:mitake:e",
        "provider:every8d:-101",
        "",
    ]


def test_a_number_error_fails_the_message_without_trying_other_providers(celery_worker, sms_rig, customer):
    sms_rig["mitake"].script.extend(["code:v"])

    message = services.message_enqueue(idempotency_key="f:bad-number", customer=customer, body="hi")

    wait_for(lambda: _final(message), what="failed")
    assert message.status == MessageStatus.FAILED
    assert message.error_code == "mitake:v"
    assert message.is_dead_letter is True
    assert Attempt.objects.filter(message=message).count() == 1
    assert sms_rig["every8d"].handset_count() == 0


@pytest.mark.django_db(transaction=False)
def test_critical_message_without_receipt_is_sent_once_more_through_another_provider(sms_rig, customer):
    import datetime

    from tests.sms.helpers import enqueue_and_dispatch

    # given: a critical message Mitake accepted but never confirmed
    now = timezone.now()
    message, result = enqueue_and_dispatch(
        now=now, idempotency_key="crit:1", customer=customer, body="扣款失敗", priority="critical"
    )
    assert result == "accepted"

    # when: nine minutes later nothing happens, eleven minutes later it goes through Every8d, once
    assert services.critical_resend_due(now=now + datetime.timedelta(minutes=9)) == 0
    assert services.critical_resend_due(now=now + datetime.timedelta(minutes=11)) == 1
    assert services.critical_resend_due(now=now + datetime.timedelta(minutes=30)) == 0

    # then
    assert sms_rig["mitake"].handset_count() == 1
    assert sms_rig["every8d"].handset_count("0912345678") == 1
    assert list(Attempt.objects.filter(message=message).values_list("provider", "status")) == [
        ("mitake", AttemptStatus.ACCEPTED),
        ("every8d", AttemptStatus.ACCEPTED),
    ]
    message.refresh_from_db()
    assert message.status == MessageStatus.ACCEPTED
