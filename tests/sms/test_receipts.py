"""Receipts and callbacks: monotonic statuses, raw events kept once, unknown ids harmless."""

import pytest
from twilio.request_validator import RequestValidator

from sms.models import Attempt, AttemptStatus, Message, MessageStatus, ProviderEvent
from tests.sms import fakes
from tests.sms.conftest import CALLBACK_TOKEN
from tests.sms.helpers import enqueue_and_dispatch, taipei

pytestmark = pytest.mark.django_db
NOW = taipei(2026, 11, 25, 10, 0)
MITAKE_URL = f"/sms/callbacks/mitake/{CALLBACK_TOKEN}/"
EVERY8D_URL = f"/sms/callbacks/every8d/{CALLBACK_TOKEN}/"
TWILIO_URL = "/sms/callbacks/twilio/"


def _mitake_receipt(msgid: str, code: str, statusstr: str, donetime: str) -> dict[str, str]:
    return {
        "msgid": msgid,
        "dstaddr": "0912345678",
        "dlvtime": "20261125100000",
        "donetime": donetime,
        "statuscode": code,
        "statusstr": statusstr,
        "StatusFlag": code,
    }


def test_out_of_order_and_duplicated_mitake_receipts_never_move_a_delivered_message_back(client, sms_rig, customer):
    # given
    message, _result = enqueue_and_dispatch(now=NOW, idempotency_key="r:1", customer=customer, body="hi")
    msgid = message.provider_message_id

    # when: delivered arrives first, then a duplicate, then an older "sent to carrier", then a failure
    delivered = client.get(MITAKE_URL, _mitake_receipt(msgid, "4", "DELIVRD", "20261125100100"))
    duplicate = client.get(MITAKE_URL, _mitake_receipt(msgid, "4", "DELIVRD", "20261125100100"))
    older = client.get(MITAKE_URL, _mitake_receipt(msgid, "1", "UNKNOWN", "20261125100030"))
    failed = client.get(MITAKE_URL, _mitake_receipt(msgid, "6", "UNDELIV", "20261125100200"))

    # then: Mitake gets its exact answer each time, and the message stays delivered
    for response in (delivered, duplicate, older, failed):
        assert response.status_code == 200
        assert response.content.decode() == f"magicid=sms_gateway_rpack\nmsgid={msgid}\n"
        assert response["Content-Type"].startswith("text/plain")
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert Attempt.objects.get(message=message).status == AttemptStatus.DELIVERED
    receipts = ProviderEvent.objects.filter(message=message, kind="receipt").order_by("pk")
    assert [(event.provider_status, event.is_applied) for event in receipts] == [
        ("4", True),
        ("1", False),
        ("6", False),
    ]
    assert list(message.status_changes.values_list("to_status", flat=True)) == [
        "queued",
        "submitted",
        "accepted",
        "delivered",
    ]


def test_every8d_report_and_poll_agree_and_a_failure_after_delivery_changes_nothing(
    client, sms_rig, providers, customer
):
    providers["mitake"].is_enabled = False
    providers["mitake"].save()
    message, _result = enqueue_and_dispatch(now=NOW, idempotency_key="r:2", customer=customer, body="hi")
    batch = message.provider_message_id
    assert message.provider == "every8d"

    ok = client.get(EVERY8D_URL, {"BATCHID": batch, "RM": "0912345678", "RT": "20261125100500", "STATUS": "100"})
    late = client.get(EVERY8D_URL, {"BATCHID": batch, "RM": "0912345678", "RT": "20261125100100", "STATUS": "0"})
    bad = client.get(EVERY8D_URL, {"BATCHID": batch, "RM": "0912345678", "RT": "20261125100600", "STATUS": "101"})

    assert [response.status_code for response in (ok, late, bad)] == [200, 200, 200]
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_polling_mitake_delivers_and_a_carrier_failure_fails_the_message(sms_rig, customer):
    from sms import services

    delivered, _ = enqueue_and_dispatch(now=NOW, idempotency_key="p:1", customer=customer, body="a")
    failed, _ = enqueue_and_dispatch(now=NOW, idempotency_key="p:2", customer=customer, body="b")
    sms_rig["mitake"].status[delivered.provider_message_id] = "4"
    sms_rig["mitake"].status[failed.provider_message_id] = "8"

    assert services.provider_poll(provider="mitake") == 2
    assert services.provider_poll(provider="mitake") == 0  # the same answers again are duplicates

    delivered.refresh_from_db()
    failed.refresh_from_db()
    assert delivered.status == MessageStatus.DELIVERED
    assert (failed.status, failed.is_dead_letter) == (MessageStatus.EXPIRED, True)


def test_receipt_for_an_unknown_message_is_recorded_and_answered(client, sms_rig):
    response = client.get(MITAKE_URL, _mitake_receipt("9999999", "4", "DELIVRD", "20261125100100"))

    assert response.status_code == 200
    assert response.content.decode() == "magicid=sms_gateway_rpack\nmsgid=9999999\n"
    event = ProviderEvent.objects.get()
    assert (event.message_id, event.provider_message_id, event.is_applied) == (None, "9999999", False)
    assert event.summary["phone"] == "0912***678"
    assert "0912345678" not in event.raw_encrypted
    assert Message.objects.count() == 0


def test_callbacks_with_a_wrong_token_are_refused(client, sms_rig):
    response = client.get("/sms/callbacks/mitake/wrong-token/", _mitake_receipt("1", "4", "DELIVRD", "20261125100100"))

    assert response.status_code == 404
    assert ProviderEvent.objects.count() == 0


def _twilio_message(customer):
    Message.objects.all()
    from sms.models import Provider

    Provider.objects.exclude(name="twilio").update(is_enabled=False)
    message, _result = enqueue_and_dispatch(now=NOW, idempotency_key="tw:cb", customer=customer, body="hi")
    assert message.provider == "twilio"
    return message


def test_twilio_callback_with_a_bad_signature_is_refused_and_changes_nothing(client, sms_rig, customer):
    message = _twilio_message(customer)
    params = {
        "MessageSid": message.provider_message_id,
        "MessageStatus": "delivered",
        "To": "+886912345678",
        "AccountSid": fakes.TWILIO_SID,
    }
    signature = RequestValidator("not-the-auth-token").compute_signature(f"http://testserver{TWILIO_URL}", params)

    response = client.post(TWILIO_URL, params, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == MessageStatus.ACCEPTED
    assert ProviderEvent.objects.filter(kind="receipt").count() == 0


def test_twilio_callback_with_a_good_signature_delivers(client, sms_rig, customer):
    message = _twilio_message(customer)
    params = {
        "MessageSid": message.provider_message_id,
        "MessageStatus": "delivered",
        "To": "+886912345678",
        "AccountSid": fakes.TWILIO_SID,
    }
    signature = RequestValidator(fakes.TWILIO_TOKEN).compute_signature(f"http://testserver{TWILIO_URL}", params)

    response = client.post(TWILIO_URL, params, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_twilio_inbound_stop_opts_out(client, sms_rig):
    from sms.models import OptOut

    params = {
        "MessageSid": "SMinbound1",
        "SmsStatus": "received",
        "From": "+886912345678",
        "To": fakes.TWILIO_FROM,
        "Body": "STOP",
        "AccountSid": fakes.TWILIO_SID,
    }
    signature = RequestValidator(fakes.TWILIO_TOKEN).compute_signature(f"http://testserver{TWILIO_URL}", params)

    response = client.post(TWILIO_URL, params, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 200
    assert OptOut.objects.filter(phone="+886912345678", source="keyword").exists()
