"""Direct-debit events for the customer's SMS: one per batch when its file reaches the bank, one per return file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone

from banking import codec, events, services
from banking.audit import audit_record_append
from banking.models import AuditRecord, BatchStatus, Direction, ItemStatus, TransferFile
from tests.banking.factories import make_bank, make_batch, make_debtor

pytestmark = pytest.mark.django_db


class OutboxSubscriber:
    """Stands in for the SMS app's subscriber: writes one row per item in the caller's transaction."""

    def __init__(self, *, fail_on_item: str = "") -> None:
        self.fail_on_item = fail_on_item
        self.writes_rows = True
        self.calls: list[dict] = []

    def __call__(self, *, event: str, items: list[dict]) -> None:
        self.calls.append({"event": event, "items": items})
        for item in items if self.writes_rows else []:
            audit_record_append(action="test.outbox", actor="sms", details={"event": event, **item})
        if any(item["item_id"] == self.fail_on_item for item in items):
            raise RuntimeError("the outbox refused the rows")


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
def approved(bank_keys, business_day_today, office_clerk, manager, outbox):
    bank = make_bank()
    first, _ = make_debtor(bank=bank, index=1, amount=1200)
    second, _ = make_debtor(bank=bank, index=2, amount=3400)
    batch = make_batch(bank=bank, prepared_by=office_clerk, approved_by=manager, until=BatchStatus.GENERATED)
    return bank, batch, first, second


@pytest.fixture
def uploaded(approved, office_clerk):
    bank, batch, first, second = approved
    services.batch_mark_uploaded_manually(batch=batch, actor=office_clerk, case_number="CASE-1")
    return bank, batch, first, second


def test_approval_and_the_generated_file_schedule_nothing(approved, outbox: OutboxSubscriber) -> None:
    assert outbox.calls == []
    assert outbox_rows() == []


def test_a_cancelled_approved_batch_never_tells_a_customer(approved, office_clerk, outbox: OutboxSubscriber) -> None:
    _bank, batch, _first, _second = approved
    services.batch_cancel(batch=batch, actor=office_clerk, reason="wrong collection date")
    assert outbox.calls == []
    assert outbox_rows() == []


def test_the_manual_upload_schedules_every_debit_in_one_event(uploaded, outbox: OutboxSubscriber) -> None:
    _bank, batch, first, second = uploaded
    items = list(batch.items.order_by("sequence"))
    today = timezone.localdate()
    assert outbox.calls == [
        {
            "event": events.DIRECT_DEBIT_SCHEDULED,
            "items": [
                {
                    "item_id": items[0].note,
                    "customer_id": first.customer_id,
                    "amount": 1200,
                    "collection_date": today,
                    "invoice_ids": [first.pk],
                },
                {
                    "item_id": items[1].note,
                    "customer_id": second.customer_id,
                    "amount": 3400,
                    "collection_date": today,
                    "invoice_ids": [second.pk],
                },
            ],
        }
    ]
    assert [row["item_id"] for row in outbox_rows()] == [items[0].note, items[1].note]


def test_the_sftp_upload_schedules_every_debit_in_one_event_in_as_many_queries_for_30_items_as_for_3(
    sshd, bank_keys, business_day_today, office_clerk, manager, outbox: OutboxSubscriber
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bank = make_bank(server=sshd)
    # the subscriber keeps what it got and writes nothing, so the queries counted are banking's own
    outbox.writes_rows = False

    def upload_a_batch_of(indexes: range) -> tuple[list, int]:
        invoices = [make_debtor(bank=bank, index=index, amount=1000 + index)[0] for index in indexes]
        batch = make_batch(bank=bank, prepared_by=office_clerk, approved_by=manager, until=BatchStatus.GENERATED)
        assert outbox.calls == []
        with CaptureQueriesContext(connection) as queries:
            services.batch_upload(batch=batch, client=services.bank_client(bank, max_attempts=1))
        assert [call["event"] for call in outbox.calls] == [events.DIRECT_DEBIT_SCHEDULED]
        items = outbox.calls.pop()["items"]
        assert [(item["customer_id"], item["amount"], item["invoice_ids"]) for item in items] == [
            (invoice.customer_id, invoice.amount, [invoice.pk]) for invoice in invoices
        ]
        assert [item["item_id"] for item in items] == list(
            batch.items.order_by("sequence").values_list("note", flat=True)
        )
        return items, len(queries)

    # when: a batch of 3 debits, then one of 30, is uploaded by the worker
    small, small_queries = upload_a_batch_of(range(1, 4))
    large, large_queries = upload_a_batch_of(range(4, 34))
    # then: each went out as one event holding every item, and 30 items cost no more queries than 3
    assert (len(small), len(large)) == (3, 30)
    assert large_queries == small_queries


def test_a_refused_upload_schedules_nothing(approved, office_clerk, outbox: OutboxSubscriber) -> None:
    from django.core.exceptions import ValidationError

    _bank, batch, _first, _second = approved
    outbox.fail_on_item = batch.items.order_by("sequence").last().note
    with pytest.raises(RuntimeError, match="outbox refused"):
        services.batch_mark_uploaded_manually(batch=batch, actor=office_clerk, case_number="CASE-1")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.GENERATED
    assert outbox_rows() == []
    outbox.fail_on_item = ""
    with pytest.raises(ValidationError):
        services.batch_mark_uploaded_manually(batch=batch, actor=office_clerk, case_number=" ")
    assert outbox_rows() == []


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
    # then: one event for the whole file was delivered, but nothing of the import or its outbox rows stayed
    assert [[item["item_id"] for item in call["items"]] for call in outbox.calls] == [[items[0].note, items[1].note]]
    assert len(outbox_rows()) == scheduled_rows
    assert not TransferFile.objects.filter(direction=Direction.INCOMING).exists()
    assert set(batch.items.values_list("status", flat=True)) == {ItemStatus.PENDING}
    # when: imported again with a working subscriber
    outbox.fail_on_item = ""
    outbox.calls.clear()
    services.returns_import(bank=bank, file_name="ACHR01_1.txt", data=returns, sealed=False)
    # then: one event for the file, one durable row per returned item, with the documented payload
    returned = [row for row in outbox_rows() if row["event"] == events.DIRECT_DEBIT_RETURNED]
    assert outbox.calls == [
        {
            "event": events.DIRECT_DEBIT_RETURNED,
            "items": [
                {
                    "item_id": items[0].note,
                    "customer_id": first.customer_id,
                    "amount": 1200,
                    "collection_date": today,
                    "invoice_ids": [first.pk],
                    "return_code": "01",
                    "will_retry": True,
                },
                {
                    "item_id": items[1].note,
                    "customer_id": second.customer_id,
                    "amount": 3400,
                    "collection_date": today,
                    "invoice_ids": [second.pk],
                    "return_code": "04",
                    "will_retry": False,
                },
            ],
        }
    ]
    assert [(row["item_id"], row["return_code"], row["will_retry"]) for row in returned] == [
        (items[0].note, "01", True),
        (items[1].note, "04", False),
    ]
