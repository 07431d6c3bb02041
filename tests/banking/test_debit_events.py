"""Direct-debit events for the customer's SMS: published inside the approval and the return import."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone

from banking import codec, events, services
from banking.audit import audit_record_append
from banking.models import AuditRecord, Direction, ItemStatus, TransferFile
from tests.banking.factories import make_bank, make_debtor

pytestmark = pytest.mark.django_db


class OutboxSubscriber:
    """Stands in for the SMS app's subscriber: writes one row per event in the caller's transaction."""

    def __init__(self, *, fail_on_item: str = "") -> None:
        self.fail_on_item = fail_on_item
        self.calls: list[dict] = []

    def __call__(self, *, event: str, **payload: object) -> None:
        self.calls.append({"event": event, **payload})
        if payload["item_id"] == self.fail_on_item:
            raise RuntimeError("the outbox refused the row")
        audit_record_append(action="test.outbox", actor="sms", details={"event": event, **payload})


@pytest.fixture
def outbox() -> Iterator[OutboxSubscriber]:
    subscriber = OutboxSubscriber()
    events.subscribe(events.DIRECT_DEBIT_SCHEDULED, subscriber)
    events.subscribe(events.DIRECT_DEBIT_RETURNED, subscriber)
    yield subscriber
    events.unsubscribe(events.DIRECT_DEBIT_SCHEDULED, subscriber)
    events.unsubscribe(events.DIRECT_DEBIT_RETURNED, subscriber)


def outbox_rows() -> list[dict]:
    return [record.details for record in AuditRecord.objects.filter(action="test.outbox").order_by("pk")]


@pytest.fixture
def uploaded(bank_keys, business_day_today, office_clerk, manager, outbox):
    bank = make_bank()
    first, _ = make_debtor(bank=bank, index=1, amount=1200)
    second, _ = make_debtor(bank=bank, index=2, amount=3400)
    batch = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk).batch
    services.batch_approve(batch=batch, approver=manager)
    services.batch_generate_file(batch=batch)
    services.batch_mark_uploaded_manually(batch=batch, actor=office_clerk, case_number="CASE-1")
    return bank, batch, first, second


def test_approval_schedules_each_debit_with_its_payload(uploaded, outbox: OutboxSubscriber) -> None:
    _bank, batch, first, second = uploaded
    items = list(batch.items.order_by("sequence"))
    today = timezone.localdate()
    assert outbox.calls == [
        {
            "event": events.DIRECT_DEBIT_SCHEDULED,
            "item_id": items[0].note,
            "customer_id": first.customer_id,
            "amount": 1200,
            "collection_date": today,
            "invoice_ids": [first.pk],
        },
        {
            "event": events.DIRECT_DEBIT_SCHEDULED,
            "item_id": items[1].note,
            "customer_id": second.customer_id,
            "amount": 3400,
            "collection_date": today,
            "invoice_ids": [second.pk],
        },
    ]
    assert [row["item_id"] for row in outbox_rows()] == [items[0].note, items[1].note]


def test_a_refused_approval_schedules_nothing(bank_keys, business_day_today, office_clerk, outbox) -> None:
    from django.core.exceptions import ValidationError

    bank = make_bank()
    make_debtor(bank=bank, index=3)
    batch = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk).batch
    office_clerk.is_superuser = True  # may approve, but prepared the batch: maker-checker refuses
    office_clerk.save()
    with pytest.raises(ValidationError):
        services.batch_approve(batch=batch, approver=office_clerk)
    assert outbox.calls == []


def test_a_rolled_back_return_import_publishes_nothing_durable_then_the_retry_does(
    uploaded, outbox: OutboxSubscriber
) -> None:
    # given: the bank returns both debits (01 insufficient funds: retried; 04 no such account: not)
    bank, batch, first, second = uploaded
    items = list(batch.items.order_by("sequence"))
    plain = services.transfer_file_plain(transfer=batch.files.get(direction=Direction.OUTGOING))
    today = timezone.localdate()
    returns = codec.build_returns(
        submission=codec.parse_file(plain).file,
        processing_date=today,
        previous_business_day=today,
        returned={1: "01", 2: "04"},
    )
    scheduled_rows = len(outbox_rows())
    outbox.calls.clear()
    # when: the subscriber fails on the second returned item
    outbox.fail_on_item = items[1].note
    with pytest.raises(RuntimeError, match="outbox refused"):
        services.returns_import(bank=bank, file_name="ACHR01_1.txt", data=returns, sealed=False)
    # then: the first item's event was delivered, but nothing of the import or its outbox rows stayed
    assert [call["item_id"] for call in outbox.calls] == [items[0].note, items[1].note]
    assert len(outbox_rows()) == scheduled_rows
    assert not TransferFile.objects.filter(direction=Direction.INCOMING).exists()
    assert set(batch.items.values_list("status", flat=True)) == {ItemStatus.PENDING}
    # when: imported again with a working subscriber
    outbox.fail_on_item = ""
    outbox.calls.clear()
    services.returns_import(bank=bank, file_name="ACHR01_1.txt", data=returns, sealed=False)
    # then: one durable row per returned item, with the documented payload
    returned = [row for row in outbox_rows() if row["event"] == events.DIRECT_DEBIT_RETURNED]
    assert outbox.calls == [
        {
            "event": events.DIRECT_DEBIT_RETURNED,
            "item_id": items[0].note,
            "customer_id": first.customer_id,
            "amount": 1200,
            "collection_date": today,
            "invoice_ids": [first.pk],
            "return_code": "01",
            "will_retry": True,
        },
        {
            "event": events.DIRECT_DEBIT_RETURNED,
            "item_id": items[1].note,
            "customer_id": second.customer_id,
            "amount": 3400,
            "collection_date": today,
            "invoice_ids": [second.pk],
            "return_code": "04",
            "will_retry": False,
        },
    ]
    assert [(row["item_id"], row["return_code"], row["will_retry"]) for row in returned] == [
        (items[0].note, "01", True),
        (items[1].note, "04", False),
    ]
