"""Direct-debit events from banking write their SMS in banking's own transaction (payment_due / payment_failed)."""

import datetime
import logging
from unittest import mock

import pytest
from celery.signals import before_task_publish
from django.conf import settings
from django.db import transaction

from luckygas.delivery import events
from luckygas.delivery.models import Customer, Invoice
from sms import crypto
from sms.models import Message, MessageStatus, OptOut, Priority, StatusChange, Template
from sms.services import enqueue
from tests.delivery.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

COLLECTION_DATE = datetime.date(2026, 12, 5)


class BankingRolledBackError(Exception):
    pass


def _item(*, item_id: str, customer_id: int, invoice_ids: list[int], amount: int = 1900) -> dict[str, object]:
    return {
        "item_id": item_id,
        "customer_id": customer_id,
        "amount": amount,
        "collection_date": COLLECTION_DATE,
        "invoice_ids": invoice_ids,
    }


def _scheduled(*, item_id: str, customer_id: int, invoice_ids: list[int], amount: int = 1900) -> None:
    _scheduled_batch([_item(item_id=item_id, customer_id=customer_id, invoice_ids=invoice_ids, amount=amount)])


def _scheduled_batch(items: list[dict[str, object]]) -> None:
    events.publish_in_transaction(events.DIRECT_DEBIT_SCHEDULED, items=items)


def _returned(*, item_id: str, customer_id: int, invoice_ids: list[int], amount: int = 1900) -> None:
    item = _item(item_id=item_id, customer_id=customer_id, invoice_ids=invoice_ids, amount=amount)
    events.publish_in_transaction(
        events.DIRECT_DEBIT_RETURNED, items=[{**item, "return_code": "01", "will_retry": True}]
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


def test_a_batch_of_2000_items_is_written_with_a_bounded_number_of_queries_and_republishing_adds_nothing(
    django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # given: 2,000 debit items of 2,000 customers (some opted out, some without a mobile)
    customers = CustomerFactory.create_batch(2000)
    Customer.objects.filter(pk__in=[customer.pk for customer in customers[:10]]).update(mobile="")
    for customer in customers[10:15]:
        OptOut.objects.create(phone=customer.mobile)
    invoices = [
        InvoiceFactory.build(customer=customer, number=f"INV-B-{index:05d}") for index, customer in enumerate(customers)
    ]
    Invoice.objects.bulk_create(invoices)
    items = [
        _item(item_id=f"B-{index:05d}", customer_id=invoice.customer_id, invoice_ids=[invoice.pk], amount=1000 + index)
        for index, invoice in enumerate(invoices)
    ]

    # when
    with django_capture_on_commit_callbacks() as callbacks, django_assert_max_num_queries(12):
        _scheduled_batch(items)

    # then: one row per item with a mobile; the opted-out ones written as failed, never dispatched
    assert Message.objects.count() == 1990
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 1985
    opted_out = Message.objects.filter(status=MessageStatus.FAILED)
    assert set(opted_out.values_list("error_code", flat=True)) == {"opted_out"}
    assert opted_out.count() == 5
    assert StatusChange.objects.filter(note="opted out", to_status=MessageStatus.FAILED).count() == 5
    assert StatusChange.objects.filter(note="enqueued").count() == 1990
    last = Message.objects.get(idempotency_key="payment_due:debit:B-01999")
    assert last.customer_id == customers[-1].pk
    assert crypto.decrypt_body(last.body_encrypted) == (
        f"{settings.LUCKYGAS_COMPANY_NAME}提醒：帳單INV-B-01999共2999元，將於12/05自動扣款，請確認帳戶餘額。"
    )
    # the send tasks are published after commit, in chunks, not one per message
    assert len(callbacks) <= 3

    # when: the same batch is published again
    with django_assert_max_num_queries(12):
        _scheduled_batch(items)

    # then: no duplicate
    assert Message.objects.count() == 1990
    assert StatusChange.objects.filter(note="enqueued").count() == 1990


def test_the_dispatch_tasks_of_a_batch_are_published_after_commit_in_chunks(
    sms_rig, django_capture_on_commit_callbacks
):
    # given: three notices and chunks of two
    customers = CustomerFactory.create_batch(3)
    items = [
        _item(item_id=f"C-{index}", customer_id=customer.pk, invoice_ids=[InvoiceFactory(customer=customer).pk])
        for index, customer in enumerate(customers)
    ]
    published: list[tuple[str, object]] = []

    def record(sender: str, body: tuple, **_kwargs: object) -> None:
        published.append((sender, body[0]))

    # when: the batch is written; its transaction commits (the tasks go to the rig's real broker)
    before_task_publish.connect(record)
    try:
        with mock.patch.object(enqueue, "DISPATCH_CHUNK", 2), django_capture_on_commit_callbacks(execute=True):
            _scheduled_batch(items)
            assert published == []
    finally:
        before_task_publish.disconnect(record)

    # then: the three messages in two publications, after commit
    ids = list(Message.objects.order_by("pk").values_list("pk", flat=True))
    assert published == [("sms.tasks.message_send_many", (ids[:2],)), ("sms.tasks.message_send_many", (ids[2:],))]


def test_a_missing_body_key_skips_the_notices_logs_an_error_and_the_debit_still_commits(settings, caplog):
    # given: production (no DEBUG) without SMS_BODY_KEYS
    settings.DEBUG = False
    customer = CustomerFactory(mobile="+886912000222")
    invoice = InvoiceFactory(customer=customer)

    # when
    settings.SMS_BODY_KEYS = ""
    with transaction.atomic():
        _returned(item_id="K-1", customer_id=customer.pk, invoice_ids=[invoice.pk])
        InvoiceFactory(customer=customer, number="INV-WRITTEN-WITH-K-1")

    # then: the bank's work is kept, no message, and an error without phone or body
    assert Message.objects.count() == 0
    assert customer.invoices.filter(number="INV-WRITTEN-WITH-K-1").exists()
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert [record.getMessage() for record in errors] == [
        "sms payment_failed for 1 debit items not queued: SMS_BODY_KEYS is missing or invalid"
    ]
    assert "912000222" not in caplog.text
