"""Opt-outs, marketing consent and hours, and the registered-link rule."""

import pytest
from django.core.exceptions import ValidationError

from sms import services
from sms.models import AllowlistEntry, Message, MessageStatus, OptOut, Priority, Provider
from tests.sms.conftest import CALLBACK_TOKEN
from tests.sms.helpers import enqueue_and_dispatch, taipei

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("marketing_switched_on")]


@pytest.fixture
def consenting_customer(customer):
    services.consent_record(phone=customer.mobile, source="signed paper form 2026-11-01", customer=customer)
    return customer


def test_marketing_at_22_00_waits_until_09_00(sms_rig, consenting_customer):
    at_ten_pm = taipei(2026, 11, 25, 22, 0)

    message, result = enqueue_and_dispatch(
        now=at_ten_pm, idempotency_key="mkt:1", customer=consenting_customer, body="冬季換桶九折", priority="marketing"
    )

    assert result == "deferred:outside marketing hours"
    assert message.status == MessageStatus.QUEUED
    assert message.not_before == taipei(2026, 11, 26, 9, 0)
    assert sms_rig["mitake"].handset_count() == 0
    assert services.message_dispatch(message_id=message.pk, now=taipei(2026, 11, 26, 9, 0, 1)) == "accepted"
    sent_body = next(form["smbody"] for path, form in sms_rig["mitake"].requests if path.endswith("SmSend"))
    assert sent_body.startswith("【幸福氣體 LuckyGas】冬季換桶九折")
    assert sent_body.endswith("回覆退訂/STOP取消")


def test_opted_out_number_gets_no_marketing_and_no_normal_but_critical(sms_rig, consenting_customer):
    services.opt_out_add(phone="0912-345-678", note="asked by phone")
    day = taipei(2026, 11, 25, 10, 0)

    marketing, marketing_result = enqueue_and_dispatch(
        now=day, idempotency_key="oo:1", customer=consenting_customer, body="優惠", priority="marketing"
    )
    normal, normal_result = enqueue_and_dispatch(
        now=day, idempotency_key="oo:2", customer=consenting_customer, body="訂單已確認"
    )
    _critical, critical_result = enqueue_and_dispatch(
        now=day, idempotency_key="oo:3", customer=consenting_customer, body="扣款失敗", priority=Priority.CRITICAL
    )

    assert (marketing_result, marketing.status, marketing.error_code) == ("opted_out", "failed", "opted_out")
    assert (normal_result, normal.status) == ("opted_out", "failed")
    assert critical_result == "accepted"
    assert sms_rig["mitake"].handset_count() == 1


def test_marketing_without_recorded_consent_is_not_sent(sms_rig, customer):
    message, result = enqueue_and_dispatch(
        now=taipei(2026, 11, 25, 10, 0), idempotency_key="nc:1", customer=customer, body="優惠", priority="marketing"
    )

    assert (result, message.status, message.error_code) == ("no_consent", "failed", "no_consent")
    assert sms_rig["mitake"].handset_count() == 0


def test_unregistered_link_or_number_blocks_marketing(sms_rig, consenting_customer):
    AllowlistEntry.objects.create(kind="link", value="https://luckygas.tw/")

    with pytest.raises(ValidationError) as error:
        services.message_enqueue(
            idempotency_key="link:1",
            customer=consenting_customer,
            body="優惠詳情 https://bit.ly/abc",
            priority="marketing",
        )
    assert "body" in error.value.message_dict
    assert "https://bit.ly/abc" in error.value.message_dict["body"][0]
    with pytest.raises(ValidationError):
        services.message_enqueue(
            idempotency_key="link:2", customer=consenting_customer, body="來電 02-2345-6789", priority="marketing"
        )
    assert Message.objects.count() == 0

    allowed = services.message_enqueue(
        idempotency_key="link:3",
        customer=consenting_customer,
        body="詳情 https://luckygas.tw/winter",
        priority="marketing",
    )
    assert allowed.pk


def test_opt_out_keyword_in_a_reply_opts_the_number_out(client, sms_rig):
    response = client.get(
        f"/sms/callbacks/every8d/{CALLBACK_TOKEN}/",
        {"BATCHID": "", "RM": "0912345678", "RT": "20261125101500", "STATUS": "", "SM": "退訂"},
    )

    assert response.status_code == 200
    assert list(OptOut.objects.values_list("phone", "source")) == [("+886912345678", "keyword")]


def test_twilio_21610_turns_into_an_opt_out(sms_rig, customer):
    Provider.objects.exclude(name="twilio").update(is_enabled=False)
    sms_rig["twilio"].unsubscribed.add("+886912345678")

    message, result = enqueue_and_dispatch(
        now=taipei(2026, 11, 25, 10, 0), idempotency_key="tw:1", customer=customer, body="hi"
    )

    assert result == "opted_out"
    assert message.status == MessageStatus.FAILED
    assert list(OptOut.objects.values_list("phone", "source")) == [("+886912345678", "provider")]
