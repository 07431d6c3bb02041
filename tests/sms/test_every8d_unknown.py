"""A timeout at Every8d: it cannot be asked about a message without its BATCHID, so the message
stays `unknown`, is never resent automatically (unless critical) and waits for an operator's one click."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import translation

from sms import limits, selectors, services
from sms.models import Attempt, AttemptStatus, Message, MessageStatus, Provider, StatusChange
from tests.sms.helpers import enqueue_and_dispatch, taipei

pytestmark = pytest.mark.django_db
NOW = taipei(2026, 11, 25, 10, 0)


@pytest.fixture
def every8d_first(sms_rig, providers) -> dict:
    Provider.objects.filter(name="every8d").update(priority=0)
    return sms_rig


def _lost_at_every8d(rig: dict, customer, key: str = "e8d:1", priority: str = "normal") -> Message:
    """Every8d sends the SMS but its reply (with the BATCHID) arrives after our timeout."""
    rig["every8d"].script.append("accept_then_hang")
    message, result = enqueue_and_dispatch(
        now=NOW, idempotency_key=key, customer=customer, body="您的帳單已出", priority=priority
    )
    assert result == "unknown"
    assert message.status == MessageStatus.UNKNOWN
    return message


def test_recovering_an_every8d_timeout_marks_it_for_an_operator_and_sends_nothing(every8d_first, customer):
    # given
    message = _lost_at_every8d(every8d_first, customer)
    attempt = Attempt.objects.get(message=message)
    assert attempt.status == AttemptStatus.UNKNOWN

    # when: the recovery task asks about it
    outcome = services.attempt_recover(attempt_id=attempt.pk)

    # then: nothing was asked or sent again; the office sees why it waits
    assert outcome == services.UNRECOVERABLE
    message.refresh_from_db()
    attempt.refresh_from_db()
    assert message.status == MessageStatus.UNKNOWN
    assert message.is_dead_letter is True
    assert message.error_code == services.UNRECOVERABLE
    assert attempt.status == AttemptStatus.UNKNOWN
    assert attempt.error_code == services.UNRECOVERABLE
    assert list(message.status_changes.values_list("note", flat=True))[-1] == (
        "unknown at every8d: not resent automatically"
    )
    every8d = every8d_first["every8d"]
    assert [path for path, _form in every8d.requests] == ["/API21/HTTP/sendSMS.ashx"]
    assert every8d.handset_count() == 1
    assert every8d_first["mitake"].handset_count() == 0
    assert selectors.dead_letter_list().filter(pk=message.pk).exists()


def test_an_unrecoverable_attempt_is_neither_asked_again_nor_resent_and_leaves_the_circuit_alone(
    every8d_first, customer
):
    message = _lost_at_every8d(every8d_first, customer)
    attempt = Attempt.objects.get(message=message)
    services.attempt_recover(attempt_id=attempt.pk)
    circuit_before = limits.circuit_state(provider="every8d", now=NOW)

    # when: a second recovery and the periodic reconcile a day later
    second = services.attempt_recover(attempt_id=attempt.pk)
    counts = services.outbox_reconcile(now=NOW + datetime.timedelta(days=1))

    # then
    assert second == "nothing_to_do"
    assert counts["recovering"] == 0
    assert counts["redispatched"] == 0
    assert counts["critical_resent"] == 0
    assert limits.circuit_state(provider="every8d", now=NOW) == circuit_before
    assert every8d_first["every8d"].handset_count() == 1
    assert every8d_first["mitake"].handset_count() == 0
    assert StatusChange.objects.filter(message=message, note__startswith="unknown at every8d").count() == 1


def test_message_page_explains_the_unknown_and_one_click_resends_via_mitake_recording_who(
    client, office_clerk, every8d_first, customer
):
    # given
    message = _lost_at_every8d(every8d_first, customer)
    services.attempt_recover(attempt_id=Attempt.objects.get(message=message).pk)
    client.force_login(office_clerk)
    page = client.get(reverse("admin:sms_message_change", args=[message.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="sms-operator-notice"' in html
    message.refresh_from_db()
    with translation.override("zh-hant"):
        notice = services.unrecoverable_notice(message)
    assert notice.startswith("Every8d 互動資通 狀態不明")
    assert "不會自動重送" in notice
    assert notice in html
    with translation.override("en"):
        assert "not resent automatically" in services.unrecoverable_notice(message)
    resend_url = reverse("admin:sms_message_resend", args=[message.pk, "mitake"])
    assert f'action="{resend_url}"' in html

    # when: one click
    response = client.post(resend_url)

    # then
    copy = Message.objects.get(resend_of=message)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:sms_message_change", args=[copy.pk])
    decision = message.status_changes.order_by("pk").last()
    assert decision.note == f"resent via mitake as message {copy.pk} by {office_clerk.get_username()}"
    assert LogEntry.objects.filter(user=office_clerk, object_id=str(message.pk)).count() == 1
    assert services.message_dispatch(message_id=copy.pk, now=copy.not_before) == "accepted"
    copy.refresh_from_db()
    assert copy.provider == "mitake"
    assert every8d_first["mitake"].handset_count("0912345678") == 1
    assert every8d_first["every8d"].handset_count() == 1


def test_the_resend_button_refuses_get_and_view_only_staff(client, manager, office_clerk, every8d_first, customer):
    message = _lost_at_every8d(every8d_first, customer)
    resend_url = reverse("admin:sms_message_resend", args=[message.pk, "mitake"])

    client.force_login(office_clerk)
    assert client.get(resend_url).status_code == 405
    client.force_login(manager)
    assert client.post(resend_url).status_code == 403

    assert not Message.objects.filter(resend_of=message).exists()
    assert not StatusChange.objects.filter(message=message, note__startswith="resent").exists()


def test_an_unknown_provider_in_the_resend_url_changes_nothing(client, office_clerk, every8d_first, customer):
    message = _lost_at_every8d(every8d_first, customer)
    client.force_login(office_clerk)

    response = client.post(reverse("admin:sms_message_resend", args=[message.pk, "carrier-pigeon"]))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:sms_message_change", args=[message.pk])
    assert not Message.objects.filter(resend_of=message).exists()


def test_a_critical_message_unknown_at_every8d_goes_once_via_another_provider_after_the_receipt_timeout(
    every8d_first, customer
):
    message = _lost_at_every8d(every8d_first, customer, key="e8d:critical", priority="critical")
    services.attempt_recover(attempt_id=Attempt.objects.get(message=message).pk)
    with translation.override("en"):
        assert "Critical" in services.unrecoverable_notice(Message.objects.get(pk=message.pk))

    resent = services.critical_resend_due(now=NOW + datetime.timedelta(minutes=11))

    assert resent == 1
    assert every8d_first["mitake"].handset_count("0912345678") == 1
    assert services.critical_resend_due(now=NOW + datetime.timedelta(minutes=30)) == 0
