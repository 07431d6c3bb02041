"""A batch whose return window passes with no return file is flagged: admin, log, audit, email to finance."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator

import pytest
from django.utils import timezone

from banking import codec, services, tasks
from banking.models import AuditRecord, BatchStatus, CollectionBatch, Direction
from tests.banking.factories import make_bank, make_debtor

pytestmark = pytest.mark.django_db
FRIDAY_BEFORE_LUNAR_NEW_YEAR = datetime.date(2026, 2, 13)


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run the email task in this process when the flag commits (no worker in these tests)."""
    from luckygas.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def uploaded_batch(bank_keys, business_day_today, office_clerk, manager) -> CollectionBatch:
    bank = make_bank(return_window_business_days=1, finance_email="finance@luckygas.example")
    make_debtor(bank=bank, index=1, amount=2500)
    batch = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk).batch
    services.batch_approve(batch=batch, approver=manager)
    services.batch_generate_file(batch=batch)
    services.batch_mark_uploaded_manually(batch=batch, actor=office_clerk, case_number="CASE-9")
    # The file was for the Friday before the 2026 Lunar New Year closure (Feb 16 to 20).
    CollectionBatch.objects.filter(pk=batch.pk).update(collection_date=FRIDAY_BEFORE_LUNAR_NEW_YEAR)
    batch.refresh_from_db()
    return batch


def test_the_window_counts_business_days_over_the_lunar_new_year(uploaded_batch: CollectionBatch) -> None:
    assert services.batch_returns_due_on(uploaded_batch) == datetime.date(2026, 2, 23)
    for day in (datetime.date(2026, 2, 16), datetime.date(2026, 2, 20), datetime.date(2026, 2, 23)):
        assert services.batches_flag_overdue_returns(today=day) == []
    uploaded_batch.refresh_from_db()
    assert uploaded_batch.returns_overdue_at is None


def test_an_overdue_return_file_is_flagged_once_logged_audited_and_emailed(
    uploaded_batch: CollectionBatch,
    eager_celery,
    mailoutbox,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks,
    admin_client,
) -> None:
    # when: the morning after the window's last business day
    with caplog.at_level(logging.WARNING, logger="banking"), django_capture_on_commit_callbacks(execute=True):
        flagged = services.batches_flag_overdue_returns(today=datetime.date(2026, 2, 24))
    # then
    uploaded_batch.refresh_from_db()
    assert flagged == [uploaded_batch.pk]
    assert uploaded_batch.returns_overdue_at is not None
    assert uploaded_batch.status == BatchStatus.UPLOADED
    record = AuditRecord.objects.get(action="returns.overdue")
    assert (record.batch_id_ref, record.details["due_on"]) == (uploaded_batch.pk, "2026-02-23")
    assert f"no return file for batch {uploaded_batch.pk}" in caplog.text
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["finance@luckygas.example"]
    assert f"#{uploaded_batch.pk}" in mailoutbox[0].subject
    assert "2026-02-23" in mailoutbox[0].body
    # the admin list shows the flag, and can filter on it
    response = admin_client.get("/admin/banking/collectionbatch/", {"returns_overdue_at__isempty": "0"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [uploaded_batch]
    assert 'alt="True"' in response.content.decode()
    # a second check flags nothing again, emails nobody
    with django_capture_on_commit_callbacks(execute=True):
        assert services.batches_flag_overdue_returns(today=datetime.date(2026, 2, 25)) == []
    assert len(mailoutbox) == 1
    assert AuditRecord.objects.filter(action="returns.overdue").count() == 1


def test_a_batch_whose_returns_arrived_is_never_flagged(uploaded_batch: CollectionBatch, office_clerk) -> None:
    plain = services.transfer_file_plain(transfer=uploaded_batch.files.get(direction=Direction.OUTGOING))
    returns = codec.build_returns(
        submission=codec.parse_file(plain).file,
        processing_date=datetime.date(2026, 2, 23),
        previous_business_day=FRIDAY_BEFORE_LUNAR_NEW_YEAR,
        returned={},
    )
    services.returns_import(bank=uploaded_batch.bank, file_name="ACHR01_ok.txt", data=returns, sealed=False)
    assert services.batches_flag_overdue_returns(today=datetime.date(2026, 3, 2)) == []
    assert tasks.check_overdue_returns() == []
