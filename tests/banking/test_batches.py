"""Maker-checker, one open batch per invoice, large transactions, file generation and the manual path."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from banking import codec, services
from banking.audit import audit_chain_verify
from banking.models import AuditRecord, BatchStatus, CollectionBatch, CollectionItem, Direction, MandateStatus
from tests.banking.factories import make_batch, make_debtor

pytestmark = pytest.mark.django_db


def test_prepare_takes_due_invoices_with_verified_mandates_only(bank, office_clerk) -> None:
    # given
    due, _ = make_debtor(bank=bank, index=1, amount=1900)
    later, _ = make_debtor(bank=bank, index=2, due_date=timezone.localdate() + datetime.timedelta(days=5))
    over_limit, _ = make_debtor(bank=bank, index=3, amount=9000, limit_amount=5000)
    unverified, mandate = make_debtor(bank=bank, index=4)
    mandate.status = MandateStatus.PENDING
    mandate.save()
    # when
    result = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk)
    # then
    batch = result.batch
    assert list(batch.items.values_list("invoice__number", flat=True)) == [due.number]
    assert batch.total_amount == 1900
    assert batch.status == BatchStatus.DRAFT
    assert sorted(result.skipped) == sorted(
        [(over_limit.number, "outside the mandate's limit or dates"), (unverified.number, "no verified mandate")]
    )
    assert later.number not in {number for number, _reason in result.skipped}
    item = batch.items.get()
    assert item.note == f"LG{item.pk:012d}"


def test_no_debit_after_the_mandates_end_date_or_before_its_start(bank, office_clerk) -> None:
    # given: one mandate ended yesterday, one starts tomorrow, one ends today (still good)
    today = timezone.localdate()
    ended, ended_mandate = make_debtor(bank=bank, index=1)
    not_started, starting_mandate = make_debtor(bank=bank, index=2)
    last_day, last_day_mandate = make_debtor(bank=bank, index=3)
    ended_mandate.end_date = today - datetime.timedelta(days=1)
    ended_mandate.save(update_fields=["end_date"])
    starting_mandate.start_date = today + datetime.timedelta(days=1)
    starting_mandate.save(update_fields=["start_date"])
    last_day_mandate.end_date = today
    last_day_mandate.save(update_fields=["end_date"])
    # when
    result = services.batch_prepare(bank=bank, collection_date=today, prepared_by=office_clerk)
    # then
    assert list(result.batch.items.values_list("invoice__number", flat=True)) == [last_day.number]
    assert sorted(result.skipped) == sorted(
        [
            (ended.number, "outside the mandate's limit or dates"),
            (not_started.number, "outside the mandate's limit or dates"),
        ]
    )


def test_the_preparer_cannot_approve_their_own_batch(bank, office_clerk, manager) -> None:
    make_debtor(bank=bank, index=1)
    batch = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=manager).batch
    with pytest.raises(ValidationError) as raised:
        services.batch_approve(batch=batch, approver=manager)
    assert "approved_by" in raised.value.message_dict
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT
    assert batch.approved_by is None


def test_a_user_without_the_approve_permission_cannot_approve(bank, office_clerk, driver_a) -> None:
    make_debtor(bank=bank, index=1)
    batch = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk).batch
    other_clerk = type(office_clerk).objects.create_user("clerk2")
    other_clerk.groups.set(office_clerk.groups.all())
    with pytest.raises(PermissionDenied):
        services.batch_approve(batch=batch, approver=other_clerk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT
    assert batch.approved_by is None
    assert not AuditRecord.objects.filter(action="batch.approved").exists()


def test_another_user_approves_and_the_file_is_generated(bank, office_clerk, manager) -> None:
    _invoice, mandate = make_debtor(bank=bank, index=1, amount=2750)
    batch = services.batch_prepare(bank=bank, collection_date=datetime.date(2027, 1, 5), prepared_by=office_clerk).batch
    services.batch_approve(batch=batch, approver=manager)
    transfer = services.batch_generate_file(batch=batch, actor=manager)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.GENERATED
    plain = services.transfer_file_plain(transfer=transfer)
    parsed = codec.parse_file(plain)
    assert parsed.errors == []
    detail = parsed.file.details[0]
    assert parsed.file.header["tdate"] == 1160105
    assert detail["amt"] == 2750
    assert detail["rclno"] == 1000000001
    assert detail["cno"] == mandate.customer_number
    assert detail["note"] == batch.items.get().note
    assert transfer.file_name == f"ACHP01_8220901_01160105_{batch.pk:06d}.enc"
    # The stored copy is encrypted: the plain account number never appears in it.
    assert b"1000000001" not in bytes(transfer.sealed_content)
    # generating twice returns the same file
    assert services.batch_generate_file(batch=batch).pk == transfer.pk


def test_an_invoice_cannot_enter_two_open_batches(bank, office_clerk) -> None:
    invoice, _ = make_debtor(bank=bank, index=1)
    first = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk)
    second = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk)
    assert first.batch is not None
    assert second.batch is None
    # and the database refuses it even if a service forgot to check
    item = first.batch.items.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        CollectionItem.objects.create(
            batch=first.batch, invoice=invoice, mandate=item.mandate, sequence=99, amount=1, note="LGDUPLICATE"
        )
    assert CollectionItem.objects.filter(invoice=invoice).count() == 1


def test_a_cancelled_batch_frees_its_invoices(bank, office_clerk) -> None:
    make_debtor(bank=bank, index=1)
    first = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk).batch
    services.batch_cancel(batch=first, actor=office_clerk, reason="wrong date")
    second = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk).batch
    assert second is not None
    assert second.item_count == 1


def test_large_batches_need_the_flag_acknowledged(bank, office_clerk, manager) -> None:
    bank.large_item_amount = 5000
    bank.save()
    make_debtor(bank=bank, index=1, amount=6000)
    batch = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk).batch
    assert batch.is_large is True
    assert batch.large_reasons == ["an item of NT$6,000 over NT$5,000"]
    with pytest.raises(ValidationError) as raised:
        services.batch_approve(batch=batch, approver=manager)
    assert "acknowledge_large" in raised.value.message_dict
    services.batch_approve(batch=batch, approver=manager, acknowledge_large=True)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED
    assert batch.large_acknowledged is True


def test_manual_path_download_and_portal_upload_are_audited(bank, office_clerk, manager) -> None:
    make_debtor(bank=bank, index=1)
    batch = make_batch(bank=bank, prepared_by=office_clerk, approved_by=manager, until=BatchStatus.GENERATED)
    transfer = batch.files.get()
    name, plain = services.batch_download_file(batch=batch, actor=office_clerk)
    assert name == transfer.file_name.removesuffix(".enc")
    assert codec.parse_file(plain).is_valid
    with pytest.raises(ValidationError):
        services.batch_mark_uploaded_manually(batch=batch, actor=office_clerk, case_number=" ")
    services.batch_mark_uploaded_manually(batch=batch, actor=office_clerk, case_number="CASE-2026-001")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UPLOADED
    assert batch.upload_method == "portal"
    assert batch.bank_case_number == "CASE-2026-001"
    actions = list(AuditRecord.objects.order_by("id").values_list("action", "actor"))
    assert ("file.downloaded", "clerk") in actions
    assert ("batch.uploaded", "clerk") in actions
    assert batch.files.get(direction=Direction.OUTGOING).delivered_at is not None
    assert audit_chain_verify()[1] == []


def test_manual_return_import_settles_and_is_idempotent(bank, office_clerk, manager) -> None:
    first, _ = make_debtor(bank=bank, index=1, amount=1000)
    second, second_mandate = make_debtor(bank=bank, index=2, amount=2000)
    today = timezone.localdate()
    batch = make_batch(
        bank=bank, prepared_by=office_clerk, approved_by=manager, until=BatchStatus.UPLOADED, case_number="C1"
    )
    transfer = batch.files.get()
    submission = codec.parse_file(services.transfer_file_plain(transfer=transfer)).file
    returns = codec.build_returns(
        submission=submission, processing_date=today, previous_business_day=today, returned={2: "22"}
    )
    result = services.returns_import(
        bank=bank, file_name="ACHR01_manual.txt", data=returns, sealed=False, actor=office_clerk
    )
    assert (result.matched, result.unmatched, result.batches) == (1, 0, [batch.pk])
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SETTLED
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("paid", "open")
    second_mandate.refresh_from_db()
    assert second_mandate.status == MandateStatus.SUSPENDED
    reconciliation = batch.reconciliation
    assert (reconciliation.collected_count, reconciliation.collected_amount) == (1, 1000)
    assert (reconciliation.returned_count, reconciliation.returned_amount) == (1, 2000)
    assert reconciliation.returned_by_reason == {"22": 1}
    # the same file again changes nothing
    again = services.returns_import(bank=bank, file_name="ACHR01_manual.txt", data=returns, sealed=False)
    assert again.created is False
    assert first.payments.count() == 1


def test_a_malformed_return_file_is_refused_whole(bank, office_clerk) -> None:
    with pytest.raises(ValidationError) as raised:
        services.returns_import(bank=bank, file_name="bad.txt", data=b"BOFACHR01garbage\r\n", sealed=False)
    assert "file" in raised.value.message_dict
    assert not bank.files.exists()


def test_items_absent_from_the_returns_are_paid_only_once_the_window_closes(bank, office_clerk, manager) -> None:
    bank.return_window_business_days = 1
    bank.save()
    invoice, _mandate = make_debtor(bank=bank, index=1, amount=1000)
    tuesday = datetime.date(2027, 1, 5)
    batch = services.batch_prepare(bank=bank, collection_date=tuesday, prepared_by=office_clerk).batch
    services.batch_approve(batch=batch, approver=manager)
    transfer = services.batch_generate_file(batch=batch)
    services.batch_mark_uploaded_manually(batch=batch, actor=office_clerk, case_number="C")
    submission = codec.parse_file(services.transfer_file_plain(transfer=transfer)).file
    empty = codec.build_returns(
        submission=submission, processing_date=tuesday, previous_business_day=tuesday, returned={}
    )
    services.returns_import(bank=bank, file_name="r.txt", data=empty, sealed=False, today=tuesday)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RETURNS_RECEIVED
    assert batch.return_window_closes_on == datetime.date(2027, 1, 6)
    assert services.batch_settle(batch=batch, today=tuesday) is None
    invoice.refresh_from_db()
    assert invoice.status == "open"
    assert services.batch_settle(batch=batch, today=datetime.date(2027, 1, 6)) is not None
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_file_generated_after_its_date_carries_the_next_processing_date(bank, office_clerk, manager) -> None:
    from banking import calendar

    past = timezone.localdate() - datetime.timedelta(days=3)
    make_debtor(bank=bank, index=1, due_date=past - datetime.timedelta(days=1))
    # given a batch prepared for a valid day that has passed before its approval
    batch = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk).batch
    CollectionBatch.objects.filter(pk=batch.pk).update(collection_date=past)
    batch.refresh_from_db()
    services.batch_approve(batch=batch, approver=manager)
    transfer = services.batch_generate_file(batch=batch)
    batch.refresh_from_db()
    expected = calendar.processing_date_for(timezone.now(), cutoff=bank.upload_cutoff)
    assert batch.collection_date == expected
    header = codec.parse_file(services.transfer_file_plain(transfer=transfer)).file.header
    assert f"{header['tdate']:08d}" == codec.roc_date(expected)
    assert AuditRecord.objects.get(action="file.generated").details["date_moved_from"] == past.isoformat()
