"""ACHP02: the mandate file for pending mandates, and the bank's replies verifying or rejecting them."""

import datetime

import pytest
from django.utils import timezone

from banking import codec, services
from banking.models import MandateStatus
from tests.banking.factories import make_bank, valid_national_id
from tests.delivery.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def pending_mandate(bank, index: int):
    customer = CustomerFactory(payment_method="direct_debit")
    account = services.bank_account_create(
        customer=customer, bank_branch="0040037", account_number=f"77{index:08d}", holder_id=valid_national_id(index)
    )
    return services.mandate_create(
        customer=customer,
        bank=bank,
        account=account,
        customer_number=f"C{index:04d}",
        start_date=timezone.localdate(),
        end_date=datetime.date(2031, 12, 31),
        limit_amount=8000,
    )


def test_mandate_file_and_replies(bank_keys) -> None:
    bank = make_bank()
    first, second = pending_mandate(bank, 1), pending_mandate(bank, 2)
    data = services.mandate_file_build(bank=bank, on=datetime.date(2026, 8, 4))
    parsed = codec.parse_file(data)
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
