"""A message is sent exactly once, even when the provider's answer is lost."""

import pytest

from sms import crypto, services
from sms.models import Attempt, AttemptStatus, Message, MessageStatus, ProviderEvent
from tests.sms.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _status(message: Message) -> str:
    message.refresh_from_db()
    return message.status


def test_message_goes_out_through_the_first_provider_with_its_balance(celery_worker, sms_rig, customer):
    # when
    message = services.message_enqueue(idempotency_key="t:1", customer=customer, body="您的訂單已確認\n謝謝")

    # then
    wait_for(lambda: _status(message) == MessageStatus.ACCEPTED, what="accepted")
    mitake = sms_rig["mitake"]
    assert mitake.handset_count("0912345678") == 1
    sent_form = next(form for path, form in mitake.requests if path == "/api/mtk/SmSend")
    assert sent_form["smbody"] == "您的訂單已確認\x06謝謝"
    assert sent_form["clientid"] == str(message.uuid)
    assert message.provider == "mitake"
    assert message.provider_message_id == mitake.by_clientid[str(message.uuid)].lstrip("#")
    assert message.billable_units == 1
    assert message.cost_centi == 80
    assert message.provider_message_id not in message.body_encrypted
    assert crypto.decrypt_body(message.body_encrypted) == "您的訂單已確認\n謝謝"
    assert list(message.status_changes.values_list("to_status", flat=True)) == ["queued", "submitted", "accepted"]
    from sms.models import Provider

    assert Provider.objects.get(name="mitake").balance == 9999


def test_timeout_after_acceptance_is_queried_not_resent_and_duplicate_counts_as_success(
    celery_worker, sms_rig, customer
):
    # given: Mitake accepts the message but answers after the client gave up
    sms_rig["mitake"].script.extend(["accept_then_hang"])

    # when
    message = services.message_enqueue(idempotency_key="t:2", customer=customer, body="瓦斯將於15分鐘內送達")

    # then: it was unknown first, then the same clientid came back Duplicate=Y
    wait_for(lambda: _status(message) == MessageStatus.ACCEPTED, timeout=40, what="accepted after recovery")
    assert sms_rig["mitake"].handset_count() == 1
    assert sms_rig["every8d"].handset_count() == 0
    assert sms_rig["twilio"].handset_count() == 0
    attempt = Attempt.objects.get(message=message)
    assert attempt.status == AttemptStatus.ACCEPTED
    assert attempt.is_duplicate_reply is True
    assert list(message.status_changes.values_list("to_status", flat=True)) == [
        "queued",
        "submitted",
        "unknown",
        "accepted",
    ]
    assert ProviderEvent.objects.filter(message=message, provider_status="duplicate").count() == 1


def test_enqueue_is_idempotent_on_its_key(celery_worker, sms_rig, customer):
    first = services.message_enqueue(idempotency_key="t:3", customer=customer, body="hello")
    second = services.message_enqueue(idempotency_key="t:3", customer=customer, body="hello again")

    assert first.pk == second.pk
    wait_for(lambda: _status(first) == MessageStatus.ACCEPTED, what="accepted")
    assert Message.objects.count() == 1
    assert sms_rig["mitake"].handset_count() == 1
