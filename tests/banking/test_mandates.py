"""ACHP02: the mandate file for pending mandates, and the bank's replies verifying or rejecting them."""

import datetime

import pytest
from django.utils import timezone

from banking import codec, services
from banking.models import AuditRecord, MandateAction, MandateStatus
from tests.banking.factories import make_bank, make_mandate
from tests.delivery.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def pending_mandate(bank, index: int):
    return make_mandate(
        bank=bank,
        index=index,
        account_number=f"77{index:08d}",
        customer_number=f"C{index:04d}",
        start_date=timezone.localdate(),
        end_date=datetime.date(2031, 12, 31),
        limit_amount=8000,
    )


def bank_reply(transfer, replies: dict[int, str], **fields: str) -> bytes:
    """The bank's ACHP02 reply to one of our files: the reply code for each sequence number."""
    parsed = codec.parse_file(services.transfer_file_plain(transfer=transfer))
    for detail in parsed.file.details:
        detail["reply"] = replies[detail["seq"]]
        detail.update(fields)
    return codec.write_file(parsed.file)


def test_mandate_file_and_replies(bank_keys) -> None:
    bank = make_bank()
    first, second = pending_mandate(bank, 1), pending_mandate(bank, 2)
    sent = services.mandate_file_prepare(bank=bank, on=datetime.date(2026, 8, 4))
    parsed = codec.parse_file(services.transfer_file_plain(transfer=sent))
    assert parsed.errors == []
    assert [(d["admark"], d["cno"], d["limit"], d["enddate"]) for d in parsed.file.details] == [
        ("A", "C0001", 8000, 1201231),
        ("A", "C0002", 8000, 1201231),
    ]
    assert parsed.file.details[0]["rclno"] == 7700000001
    # the bank replies: the first verified, the second "2" (no such account)
    parsed.file.details[0]["reply"] = "0"
    parsed.file.details[1]["reply"] = "2"
    result = services.mandate_replies_import(bank=bank, data=codec.write_file(parsed.file))
    assert result.counts == {"accepted": 1, "refused": 1, "unmatched": 0}
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.reply_code) == (MandateStatus.VERIFIED, MandateStatus.REJECTED, "2")


def test_bank_account_refuses_bad_input_naming_the_field(bank_keys) -> None:
    from django.core.exceptions import ValidationError

    customer = CustomerFactory()
    with pytest.raises(ValidationError) as raised:
        services.bank_account_create(
            customer=customer, bank_branch="004", account_number="12345678901234567", holder_id="A123456788"
        )
    assert set(raised.value.message_dict) == {"bank_branch", "account_number", "holder_id"}
    assert not customer.bank_accounts.exists()


def test_account_numbers_are_encrypted_at_rest_and_masked(bank_keys) -> None:
    from django.db import connection

    account = services.bank_account_create(
        customer=CustomerFactory(), bank_branch="0040037", account_number="123456785678", holder_id="A123456789"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT account_encrypted FROM banking_bankaccount WHERE id = %s", [account.pk])
        (stored,) = cursor.fetchone()
    assert "123456785678" not in stored
    assert account.account_number == "123456785678"
    assert account.masked_account == "****5678"
    assert str(account) == "0040037 ****5678"


def test_an_old_new_reply_reimported_while_a_cancel_waits_unsent_cancels_nothing(bank_keys) -> None:
    # given: a new mandate sent to the bank and verified by its reply
    bank = make_bank()
    mandate = pending_mandate(bank, 3)
    sent = services.mandate_file_prepare(bank=bank, on=datetime.date(2026, 8, 4))
    old_reply = bank_reply(sent, {1: "0"})
    services.mandate_replies_import(bank=bank, data=old_reply, file_name="ACHP02_reply_1")
    mandate.refresh_from_db()
    assert (mandate.status, mandate.pending_action) == (MandateStatus.VERIFIED, MandateAction.NONE)
    # and: a cancel (D) is requested, not sent yet
    services.mandate_request_cancel(mandate=mandate)
    # when: the old "A … 0" reply comes in again under another name
    result = services.mandate_replies_import(bank=bank, data=old_reply, file_name="ACHP02_reply_1_again")
    # then: it matches nothing, the mandate stays verified with its cancel still waiting to be sent
    assert result.counts == {"accepted": 0, "refused": 0, "unmatched": 1}
    mandate.refresh_from_db()
    assert (mandate.status, mandate.pending_action, mandate.request_file) == (
        MandateStatus.VERIFIED,
        MandateAction.CANCEL,
        None,
    )
    audit = AuditRecord.objects.filter(action="mandate_replies.imported").order_by("pk").last()
    assert audit.details["unmatched"] == 1
    assert audit.details["unmatched_records"] == [
        {
            "line": 2,
            "note": f"LGM{mandate.pk:012d}",
            "mark": "A",
            "problem": "no sent request with this note, customer number and mark",
        }
    ]


def test_a_reply_with_another_mark_than_the_sent_request_applies_nothing(bank_keys) -> None:
    # given: a verified mandate whose cancel (D) went out to the bank
    bank = make_bank()
    mandate = pending_mandate(bank, 4)
    services.mandate_replies_import(
        bank=bank, data=bank_reply(services.mandate_file_prepare(bank=bank), {1: "0"}), file_name="reply_new"
    )
    services.mandate_request_cancel(mandate=mandate)
    cancel_file = services.mandate_file_prepare(bank=bank)
    # when: a reply marked "A" (new) comes back for it
    result = services.mandate_replies_import(
        bank=bank, data=bank_reply(cancel_file, {1: "0"}, admark="A"), file_name="reply_wrong_mark"
    )
    # then: unmatched; the cancel still waits for its own reply, which then applies
    assert result.counts == {"accepted": 0, "refused": 0, "unmatched": 1}
    mandate.refresh_from_db()
    assert (mandate.status, mandate.pending_action, mandate.request_file) == (
        MandateStatus.VERIFIED,
        MandateAction.CANCEL,
        cancel_file,
    )
    result = services.mandate_replies_import(bank=bank, data=bank_reply(cancel_file, {1: "0"}), file_name="reply_d")
    assert result.counts == {"accepted": 1, "refused": 0, "unmatched": 0}
    mandate.refresh_from_db()
    assert (mandate.status, mandate.pending_action) == (MandateStatus.CANCELLED, MandateAction.NONE)


def test_the_office_note_is_the_only_field_the_admin_edits_in_place(bank_keys, admin_user) -> None:
    from django.test import Client
    from django.urls import reverse

    from banking.models import Mandate

    bank = make_bank()
    mandate = pending_mandate(bank, 5)
    before = Mandate.objects.filter(pk=mandate.pk).values().get()
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:banking_mandate_change", args=[mandate.pk])

    response = client.post(url, {"note": "客戶來電：下月起改用新帳戶", "status": "cancelled", "limit_amount": "1"})

    assert response.status_code == 302
    after = Mandate.objects.filter(pk=mandate.pk).values().get()
    assert after == {**before, "note": "客戶來電：下月起改用新帳戶"}
