"""The `sms_marketing` switch: off holds marketing messages (kept, visible, sent once it is on),
service messages go out either way."""

import pytest
from waffle.models import Switch

from luckygas.feature_flags import SMS_MARKETING
from sms import services
from sms.models import Message, MessageStatus
from tests.sms.helpers import enqueue_and_dispatch, taipei

pytestmark = pytest.mark.django_db


def set_marketing_switch(*, is_active: bool) -> None:
    switch, _created = Switch.objects.update_or_create(name=SMS_MARKETING, defaults={"active": is_active})
    switch.flush()  # waffle clears its cache on commit, which a test's transaction never reaches


@pytest.fixture
def consenting_customer(customer):
    services.consent_record(phone=customer.mobile, source="signed paper form 2026-11-01", customer=customer)
    return customer


def test_marketing_is_held_while_the_switch_is_off_and_sent_once_it_is_on(sms_rig, consenting_customer):
    # given: the switch off, inside marketing hours
    set_marketing_switch(is_active=False)
    morning = taipei(2026, 11, 25, 10, 0)

    # when
    message, result = enqueue_and_dispatch(
        now=morning, idempotency_key="switch:1", customer=consenting_customer, body="冬季換桶九折", priority="marketing"
    )

    # then: held, not failed, nothing sent; a later dispatch while still off holds it again
    assert result == "deferred:marketing switched off"
    assert (message.status, message.deferred_reason) == (MessageStatus.QUEUED, "marketing switched off")
    assert message.not_before == taipei(2026, 11, 25, 10, 5)
    assert sms_rig["mitake"].handset_count() == 0
    assert services.message_dispatch(message_id=message.pk, now=taipei(2026, 11, 25, 10, 5)) == (
        "deferred:marketing switched off"
    )
    assert sms_rig["mitake"].handset_count() == 0

    # when: the office switches marketing on
    set_marketing_switch(is_active=True)

    # then: the held message goes out, once
    assert services.message_dispatch(message_id=message.pk, now=taipei(2026, 11, 25, 10, 10)) == "accepted"
    message.refresh_from_db()
    assert (message.status, message.deferred_reason) == (MessageStatus.ACCEPTED, "")
    assert sms_rig["mitake"].handset_count("0912345678") == 1


def test_service_messages_are_sent_while_the_marketing_switch_is_off(sms_rig, consenting_customer):
    set_marketing_switch(is_active=False)

    message, result = enqueue_and_dispatch(
        now=taipei(2026, 11, 25, 22, 0), idempotency_key="switch:2", customer=consenting_customer, body="瓦斯已送達"
    )

    assert result == "accepted"
    assert message.status == MessageStatus.ACCEPTED
    assert sms_rig["mitake"].handset_count("0912345678") == 1


def test_held_marketing_is_listed_as_held_in_admin(admin_client, sms_rig, consenting_customer):
    set_marketing_switch(is_active=False)
    message, _result = enqueue_and_dispatch(
        now=taipei(2026, 11, 25, 10, 0),
        idempotency_key="switch:3",
        customer=consenting_customer,
        body="優惠",
        priority="marketing",
    )

    response = admin_client.get("/admin/sms/message/", {"deferred_reason": "marketing switched off"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [Message.objects.get(pk=message.pk)]
    assert "marketing switched off" in response.content.decode()
