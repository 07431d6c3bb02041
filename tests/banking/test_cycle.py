"""The whole cycle through a real Celery worker: invoices → batch → SFTP → bank simulator → returns → settled."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from banking import secrets as bank_secrets
from banking import services, tasks
from banking.audit import audit_chain_verify
from banking.models import BatchStatus, ItemStatus, MandateStatus, NextAction
from banking.selectors import banking_dashboard_summary
from luckygas.delivery.models import InvoiceStatus, PaymentChannel
from tests import servers
from tests.banking.bank_side import BankKeyMaterial, BankSimulator, SshServer, running_sshd
from tests.banking.factories import make_bank, make_debtor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def wait_for(condition: Callable[[], bool], *, timeout: float = 180, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def cycle_sshd(tmp_path: Path, bank_keys: BankKeyMaterial, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshServer]:
    with running_sshd(tmp_path / "sshd") as server:
        bank_keys.sftp_private_key = server.client_private_key
        monkeypatch.setenv(
            bank_secrets.bank_secret_name(bank_keys.reference, bank_secrets.SFTP_KEY), server.client_private_key
        )
        bank_secrets.secrets.clear()
        yield server


@pytest.fixture
def celery_worker_process(cycle_sshd: SshServer, tmp_path: Path) -> Iterator[Path]:
    from luckygas.celery import app

    env = {
        **os.environ,
        # Listen where this process publishes: the SMS tests point it at a private Redis.
        "REDIS_URL": app.conf.broker_url,
        "DATABASE_URL": servers.test_database_url(),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "BANKING_TRANSPORT_BACKOFF_SECONDS": "0.2",
        # A circuit an earlier test's leftover task opened must not hold this upload for 300 s: the
        # upload task's first retry (6 s) then finds it half-open and probes.
        "BANKING_BREAKER_COOLDOWN_SECONDS": "1",
        "DJANGO_LOG_LEVEL": "INFO",
    }
    celery = [sys.executable, "-m", "celery", "-A", "luckygas"]
    # The worker keeps its banks' circuits in the broker's Redis, which after the SMS tests is not
    # this process's REDIS_URL: close them there, or a circuit an earlier test opened holds the upload.
    from django.test import override_settings

    from banking.transport.breaker import CircuitBreaker

    with override_settings(REDIS_URL=app.conf.broker_url):
        for code in ("822", "812", "999"):
            CircuitBreaker(code).reset()
    subprocess.run(
        [*celery, "purge", "-f", "-Q", "banking"], cwd=servers.ROOT, env=env, check=True, capture_output=True
    )
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [
            *celery,
            "worker",
            "-Q",
            "banking",
            "-c",
            "2",
            "-n",
            f"banking-test-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=servers.ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: b" ready." in log.read_bytes(), timeout=60, what="the Celery worker")
        yield log
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_invoices_to_settled_and_returned_items_through_celery(
    cycle_sshd: SshServer,
    bank_keys: BankKeyMaterial,
    celery_worker_process: Path,
    business_day_today,
    office_clerk,
    manager,
) -> None:
    # given: four direct-debit customers with verified mandates and due invoices
    bank = make_bank(server=cycle_sshd)
    debtors = [make_debtor(bank=bank, index=index, amount=1000 * index) for index in range(1, 5)]
    today = timezone.localdate()
    started = timezone.now()
    # when: a clerk prepares, a manager approves (generation runs on the worker)
    batch = services.batch_prepare(bank=bank, collection_date=today, prepared_by=office_clerk).batch
    services.batch_approve(batch=batch, approver=manager)
    wait_for(lambda: batch.__class__.objects.get(pk=batch.pk).status == BatchStatus.GENERATED, what="generation")
    # the 06:00 window uploads it
    tasks.upload_window.delay()
    wait_for(lambda: batch.__class__.objects.get(pk=batch.pk).status == BatchStatus.UPLOADED, what="upload")
    # the bank debits, and returns item 2 (insufficient funds) and item 3 (no such account)
    simulator = BankSimulator(cycle_sshd, bank_keys)
    [submission] = simulator.submissions()
    assert [detail["amt"] for detail in simulator.open_submission(submission).details] == [1000, 2000, 3000, 4000]
    simulator.answer(submission, returned={2: "01", 3: "04"}, processing_date=today)
    # the 22:00 window fetches the returns and settles the batch
    tasks.returns_window.delay()
    wait_for(lambda: batch.__class__.objects.get(pk=batch.pk).status == BatchStatus.SETTLED, what="settlement")

    # then
    items = {item.sequence: item for item in batch.items.select_related("invoice", "payment", "mandate")}
    assert {sequence: item.status for sequence, item in items.items()} == {
        1: ItemStatus.COLLECTED,
        2: ItemStatus.RETURNED,
        3: ItemStatus.RETURNED,
        4: ItemStatus.COLLECTED,
    }
    assert (items[2].return_code, items[2].next_action) == ("01", NextAction.RETRY)
    assert (items[3].return_code, items[3].next_action) == ("04", NextAction.FIX_MANDATE)
    assert items[3].mandate.status == MandateStatus.SUSPENDED
    assert items[2].mandate.status == MandateStatus.VERIFIED
    for sequence in (1, 4):
        assert items[sequence].invoice.status == InvoiceStatus.PAID
        assert items[sequence].payment.channel == PaymentChannel.DIRECT_DEBIT
        assert items[sequence].payment.reference == f"ACH-{items[sequence].note}"
    for sequence in (2, 3):
        assert items[sequence].invoice.status == InvoiceStatus.OPEN
    reconciliation = batch.reconciliation
    assert (reconciliation.expected_count, reconciliation.expected_amount) == (4, 10000)
    assert (reconciliation.collected_count, reconciliation.collected_amount) == (2, 5000)
    assert (reconciliation.returned_count, reconciliation.returned_amount) == (2, 5000)
    assert reconciliation.returned_by_reason == {"01": 1, "04": 1}
    # the exception (a mandate to fix) was emailed to finance with the reports attached
    wait_for(
        lambda: batch.reconciliation.__class__.objects.get(pk=reconciliation.pk).emailed_at is not None, what="email"
    )
    # The console email backend's output reaches the worker log as JSON log lines.
    log = celery_worker_process.read_text(errors="replace").replace('\\"', '"')
    assert "To: finance@luckygas.example" in log
    assert f'filename="reconciliation-822-{batch.pk}.pdf"' in log
    assert f'filename="reconciliation-822-{batch.pk}.xlsx"' in log
    # the returned-for-retry invoice goes into the next batch; the one needing a fix does not
    next_batch = services.batch_prepare(bank=bank, collection_date=today, prepared_by=office_clerk).batch
    assert list(next_batch.items.values_list("invoice_id", flat=True)) == [debtors[1][0].pk]
    # the dashboard contract
    summary = banking_dashboard_summary(start=started, end=timezone.now())
    assert summary["collected_amount"] == 5000
    assert summary["collected_count"] == 2
    assert summary["returned_count"] == 2
    assert summary["returned_by_reason"] == {"01": 1, "04": 1}
    assert summary["banks"][0]["last_upload_status"] == "ok"
    assert summary["banks"][0]["circuit_state"] == "closed"
    # and every step left an intact audit trail
    count, problems = audit_chain_verify()
    assert problems == []
    assert count > 10
