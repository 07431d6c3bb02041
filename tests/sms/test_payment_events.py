"""Direct-debit events from banking write their SMS in banking's own transaction (payment_due / payment_failed)."""

import datetime

import pytest
from django.conf import settings
from django.db import transaction

from luckygas.delivery import events
from sms import crypto
from sms.models import Message, MessageStatus, Priority, Template
from tests.delivery.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

COLLECTION_DATE = datetime.date(2026, 12, 5)


class BankingRolledBackError(Exception):
    pass


def _scheduled(*, item_id: str, customer_id: int, invoice_ids: list[int], amount: int = 1900) -> None:
    events.publish_in_transaction(
        events.DIRECT_DEBIT_SCHEDULED,
        item_id=item_id,
        customer_id=customer_id,
        amount=amount,
        collection_date=COLLECTION_DATE,
        invoice_ids=invoice_ids,
    )


def _returned(*, item_id: str, customer_id: int, invoice_ids: list[int], amount: int = 1900) -> None:
    events.publish_in_transaction(
        events.DIRECT_DEBIT_RETURNED,
        item_id=item_id,
        customer_id=customer_id,
        amount=amount,
        collection_date=COLLECTION_DATE,
        invoice_ids=invoice_ids,
        return_code="01",
        will_retry=True,
    )


def test_the_migration_seeds_both_payment_templates_with_their_priorities():
    assert Template.objects.get(name="payment_due").priority == Priority.NORMAL
    assert Template.objects.get(name="payment_failed").priority == Priority.CRITICAL
    assert Template.objects.get(name="payment_failed").variants.get(label="A").body.startswith("{company_name}通知")


def test_a_scheduled_debit_queues_exactly_one_payment_due_message_in_the_same_transaction():
    # given
    invoice = InvoiceFactory(number="INV-202611-0007", amount=2350)

    # when
    with transaction.atomic():
        _scheduled(item_id="D-1", customer_id=invoice.customer_id, invoice_ids=[invoice.pk], amount=2350)
        inside = Message.objects.filter(idempotency_key="payment_due:debit:D-1").count()

    # then
    assert inside == 1
    message = Message.objects.get()
    assert message.template.name == "payment_due"
    assert message.status == MessageStatus.QUEUED
    assert message.priority == Priority.NORMAL
    assert message.customer_id == invoice.customer_id
    assert crypto.decrypt_body(message.body_encrypted) == (
        f"{settings.LUCKYGAS_COMPANY_NAME}提醒：帳單INV-202611-0007共2350元，將於12/05自動扣款，請確認帳戶餘額。"
    )


def test_a_rolled_back_debit_leaves_no_message():
    invoice = InvoiceFactory()

    def banking_fails_after_publishing() -> None:
        with transaction.atomic():
            _scheduled(item_id="D-2", customer_id=invoice.customer_id, invoice_ids=[invoice.pk])
            assert Message.objects.count() == 1
            raise BankingRolledBackError

    with pytest.raises(BankingRolledBackError):
        banking_fails_after_publishing()

    assert Message.objects.count() == 0


def test_a_republished_event_gives_no_second_message():
    invoice = InvoiceFactory()

    with transaction.atomic():
        _scheduled(item_id="D-3", customer_id=invoice.customer_id, invoice_ids=[invoice.pk])
    with transaction.atomic():
        _scheduled(item_id="D-3", customer_id=invoice.customer_id, invoice_ids=[invoice.pk])

    assert Message.objects.filter(idempotency_key="payment_due:debit:D-3").count() == 1
    assert Message.objects.count() == 1


def test_a_returned_debit_queues_one_critical_payment_failed_message_naming_every_invoice():
    customer = CustomerFactory(mobile="+886912000111")
    first = InvoiceFactory(customer=customer, number="INV-A", amount=1000)
    second = InvoiceFactory(customer=customer, number="INV-B", amount=900)

    with transaction.atomic():
        _returned(item_id="D-4", customer_id=customer.pk, invoice_ids=[second.pk, first.pk], amount=1900)
        _returned(item_id="D-4", customer_id=customer.pk, invoice_ids=[second.pk, first.pk], amount=1900)

    message = Message.objects.get()
    assert message.idempotency_key == "payment_failed:debit:D-4"
    assert message.template.name == "payment_failed"
    assert message.priority == Priority.CRITICAL
    assert message.phone == "+886912000111"
    assert crypto.decrypt_body(message.body_encrypted) == (
        f"{settings.LUCKYGAS_COMPANY_NAME}通知：帳單INV-A、INV-B於12/05自動扣款1900元未成功，請聯絡客服。"
    )


def test_scheduled_and_returned_for_one_item_are_two_different_messages():
    invoice = InvoiceFactory()

    with transaction.atomic():
        _scheduled(item_id="D-5", customer_id=invoice.customer_id, invoice_ids=[invoice.pk])
    with transaction.atomic():
        _returned(item_id="D-5", customer_id=invoice.customer_id, invoice_ids=[invoice.pk])

    assert sorted(Message.objects.values_list("template__name", flat=True)) == ["payment_due", "payment_failed"]


def test_a_customer_without_a_mobile_gets_no_message_and_the_debit_still_commits():
    # given: a landline-only customer
    customer = CustomerFactory(phone="+886227001234", mobile="")
    invoice = InvoiceFactory(customer=customer)

    # when: nothing is raised, so the rest of banking's transaction (here: one more row) commits
    with transaction.atomic():
        _scheduled(item_id="D-6", customer_id=customer.pk, invoice_ids=[invoice.pk])
        InvoiceFactory(customer=customer, number="INV-WRITTEN-WITH-D-6")

    # then
    assert Message.objects.count() == 0
    assert customer.invoices.filter(number="INV-WRITTEN-WITH-D-6").exists()


def test_a_switched_off_template_queues_nothing():
    Template.objects.filter(name="payment_failed").update(is_active=False)
    invoice = InvoiceFactory()

    with transaction.atomic():
        _returned(item_id="D-7", customer_id=invoice.customer_id, invoice_ids=[invoice.pk])

    assert Message.objects.count() == 0
