"""A provider's "recipient unsubscribed" (Twilio 21610) is one rule, applied by a service,
whether it comes back as the send's error or later in a status callback."""

import pytest
from twilio.request_validator import RequestValidator

from sms import services
from sms.models import MarketingConsent, MessageStatus, OptOut
from tests.sms import fakes
from tests.sms.test_receipts import TWILIO_URL, _twilio_message

pytestmark = pytest.mark.django_db


def _signed_post(client, params):
    signature = RequestValidator(fakes.TWILIO_TOKEN).compute_signature(f"http://testserver{TWILIO_URL}", params)
    return client.post(TWILIO_URL, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_twilio_21610_status_callback_opts_the_number_out_and_revokes_consent(client, sms_rig, customer):
    # given: a message Twilio accepted, and recorded marketing consent
    message = _twilio_message(customer)
    services.consent_record(phone=customer.mobile, source="signed paper form", customer=customer)

    # when: Twilio reports the recipient unsubscribed
    response = _signed_post(
        client,
        {
            "MessageSid": message.provider_message_id,
            "MessageStatus": "undelivered",
            "ErrorCode": "21610",
            "To": "+886912345678",
            "AccountSid": fakes.TWILIO_SID,
        },
    )

    # then
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert list(OptOut.objects.values_list("phone", "source", "note")) == [
        ("+886912345678", "provider", "twilio 21610")
    ]
    assert MarketingConsent.objects.get(phone="+886912345678").revoked_at is not None


def test_another_twilio_error_in_a_status_callback_opts_nobody_out(client, sms_rig, customer):
    message = _twilio_message(customer)

    response = _signed_post(
        client,
        {
            "MessageSid": message.provider_message_id,
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
            "To": "+886912345678",
            "AccountSid": fakes.TWILIO_SID,
        },
    )

    assert response.status_code == 200
    assert OptOut.objects.count() == 0


def test_a_21610_on_send_also_revokes_marketing_consent(sms_rig, customer):
    # given: consent, and Twilio knowing the number as unsubscribed
    from sms.models import Provider
    from tests.sms.helpers import enqueue_and_dispatch, taipei

    services.consent_record(phone=customer.mobile, source="signed paper form", customer=customer)
    Provider.objects.exclude(name="twilio").update(is_enabled=False)
    sms_rig["twilio"].unsubscribed.add("+886912345678")

    # when
    _message, result = enqueue_and_dispatch(
        now=taipei(2026, 11, 25, 10, 0), idempotency_key="tw:oo", customer=customer, body="hi"
    )

    # then: the same rule as the callback's
    assert result == "opted_out"
    assert list(OptOut.objects.values_list("phone", "source", "note")) == [
        ("+886912345678", "provider", "twilio 21610")
    ]
    assert MarketingConsent.objects.get(phone="+886912345678").revoked_at is not None
