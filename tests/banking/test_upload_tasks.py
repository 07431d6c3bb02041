"""Upload tasks: one bank's outage never holds up another bank, and a bank's files go in order."""

from __future__ import annotations

import pytest

from banking import services, tasks
from banking.models import AuditRecord, BatchStatus
from banking.transport import CircuitBreaker, TransportError
from tests.banking.factories import make_bank, make_batch, make_debtor
from tests.servers import free_port

pytestmark = pytest.mark.django_db


def generated_batch(bank, index: int, clerk, manager):
    make_debtor(bank=bank, index=index)
    return make_batch(bank=bank, prepared_by=clerk, approved_by=manager, until=BatchStatus.GENERATED)


def test_a_bank_that_is_down_does_not_hold_up_another(
    sshd,
    bank_keys,
    business_day_today,
    office_clerk,
    manager,
    settings,
) -> None:
    settings.BANKING_TRANSPORT_MAX_ATTEMPTS = 2
    settings.BANKING_TRANSPORT_BACKOFF_SECONDS = 0.05
    down = make_bank(server=sshd, code="812", sending_unit="8120012", sftp_port=free_port())
    up = make_bank(server=sshd, code="822")
    first_down = generated_batch(down, 1, office_clerk, manager)
    second_down = generated_batch(down, 2, office_clerk, manager)
    batch_up = generated_batch(up, 3, office_clerk, manager)

    with pytest.raises(TransportError):
        tasks.upload_bank_batches.run(down.pk)
    assert tasks.upload_bank_batches.run(up.pk) == [batch_up.pk]

    first_down.refresh_from_db()
    second_down.refresh_from_db()
    batch_up.refresh_from_db()
    assert batch_up.status == BatchStatus.UPLOADED
    assert (first_down.status, first_down.upload_attempts) == (BatchStatus.GENERATED, 1)
    assert "TransportError" in first_down.last_error
    # files go in order: the later batch waits for the earlier one
    assert (second_down.status, second_down.upload_attempts) == (BatchStatus.GENERATED, 0)
    assert CircuitBreaker("822").state() == "closed"
    assert AuditRecord.objects.filter(action="upload.failed", bank_code="812").count() == 1
    assert (sshd.upload_dir / batch_up.files.get().file_name).exists()


def test_uploading_an_uploaded_batch_again_does_nothing(
    sshd, bank_keys, business_day_today, office_clerk, manager
) -> None:
    bank = make_bank(server=sshd, code="822")
    batch = generated_batch(bank, 1, office_clerk, manager)
    assert services.batch_upload(batch=batch) is not None
    assert services.batch_upload(batch=batch) is None
    assert AuditRecord.objects.filter(action="batch.uploaded").count() == 1
    transfer = batch.files.get()
    assert [path.name for path in sshd.upload_dir.iterdir() if path.name.startswith("ACHP01")].count(
        transfer.file_name
    ) == 1
    assert (sshd.upload_dir / transfer.file_name).read_bytes() == bytes(transfer.sealed_content)


def test_the_upload_window_writes_and_sends_an_approved_batch_whose_file_task_was_lost(
    sshd, bank_keys, business_day_today, office_clerk, manager
) -> None:
    from luckygas.celery import app

    # given: an approved batch whose generation task never ran (its worker killed mid-task, or the broker
    # flushed); in a test transaction the approval's on-commit task is never sent at all
    bank = make_bank(server=sshd, code="822")
    make_debtor(bank=bank, index=1)
    batch = make_batch(bank=bank, prepared_by=office_clerk, approved_by=manager, until=BatchStatus.APPROVED)
    assert not batch.files.exists()
    # when: the next upload window runs (its per-bank upload tasks run here)
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        assert tasks.upload_window() == [bank.pk]
    finally:
        app.conf.task_always_eager = before
    # then: the file was written and sent, once
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UPLOADED
    transfer = batch.files.get()
    assert (sshd.upload_dir / transfer.file_name).read_bytes() == bytes(transfer.sealed_content)
    assert AuditRecord.objects.filter(action="file.generated", batch_id_ref=batch.pk).count() == 1
    assert AuditRecord.objects.filter(action="batch.uploaded", batch_id_ref=batch.pk).count() == 1


def upload_counts(client) -> dict[tuple[str, str], float]:
    from prometheus_client.parser import text_string_to_metric_families

    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.labels["bank"], sample.labels["result"]): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        if family.name == "luckygas_bank_uploads"
        for sample in family.samples
        if sample.name == "luckygas_bank_uploads_total"
    }


def test_uploads_are_counted_on_metrics_by_bank_and_result(
    client, sshd, bank_keys, business_day_today, office_clerk, manager, settings
) -> None:
    # given
    settings.BANKING_TRANSPORT_MAX_ATTEMPTS = 1
    down = make_bank(server=sshd, code="812", sending_unit="8120012", sftp_port=free_port())
    up = make_bank(server=sshd, code="822")
    failing = generated_batch(down, 1, office_clerk, manager)
    delivered = generated_batch(up, 2, office_clerk, manager)
    before = upload_counts(client)
    # when
    with pytest.raises(TransportError):
        services.batch_upload(batch=failing)
    services.batch_upload(batch=delivered)
    services.batch_upload(batch=delivered)  # already uploaded: no attempt, nothing counted
    # then: the series the deploy alert reads, luckygas_bank_uploads_total{bank, result}
    after = upload_counts(client)
    assert after[("812", "failed")] - before.get(("812", "failed"), 0) == 1
    assert after[("822", "delivered")] - before.get(("822", "delivered"), 0) == 1
    assert after.get(("822", "failed"), 0) == before.get(("822", "failed"), 0)
