"""Celery tasks (queue `banking`): thin, idempotent wrappers that take ids and call services.

Windows fan out one task per bank, so one bank's outage never delays another's; inside a bank
the batches go in order (by id) and a failure stops the later ones until the next attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.core.exceptions import ValidationError
from django.utils import timezone

from banking import codec, services
from banking.models import (
    Bank,
    BatchStatus,
    CollectionBatch,
    Direction,
    Mandate,
    MandateAction,
    Reconciliation,
    TransferFile,
)
from banking.transport import CircuitOpenError, TransportError

logger = logging.getLogger(__name__)
QUEUE = "banking"

# A task that talks to one bank's SFTP server: redelivered if its worker dies, retried with
# backoff (1 to 15 minutes, jittered) while the bank is unreachable; see `_retry_later`.
BANK_TRANSFER = {"queue": QUEUE, "acks_late": True, "bind": True, "max_retries": 5}


def _wait_for_operator(task: Task, error: ValidationError) -> list:
    """A refusal no retry cures (a bank key not configured): logged, and the next window tries again."""
    logger.error("%s: %s", task.name, "; ".join(error.messages))
    return []


def _retry_later(task: Task, error: TransportError) -> list:
    """Retry a bank transfer with backoff. Without a broker (tasks run in the caller: the demo, one
    process) there is no later: the failure is already recorded (on the batch or file, and in the
    audit), so the caller gets an empty result and the next window tries again."""
    if task.request.is_eager:
        logger.warning("%s: %s; the next window tries again", task.name, error)
        return []
    countdown = get_exponential_backoff_interval(factor=60, retries=task.request.retries, maximum=900, full_jitter=True)
    raise task.retry(exc=error, countdown=countdown)


def _transfer(task: Task, operation: Callable[[], list[str]]) -> list[str]:
    """Run one bank transfer: an operator's refusal waits for the next window, an outage retries."""
    try:
        return operation()
    except ValidationError as error:
        return _wait_for_operator(task, error)
    except TransportError as error:
        return _retry_later(task, error)


def _one_task_per_bank(bank_ids: Iterable[int], task) -> list[int]:
    """A window's fan-out: one task per bank, so one bank's outage never delays another's."""
    ordered = sorted(set(bank_ids))
    for bank_id in ordered:
        task.delay(bank_id)
    return ordered


@shared_task(queue=QUEUE, acks_late=True)
def generate_batch_file(batch_id: int) -> str:
    batch = CollectionBatch.objects.get(pk=batch_id)
    if batch.status != BatchStatus.APPROVED:
        return batch.status
    try:
        transfer = services.batch_generate_file(batch=batch, actor="system")
    except ValidationError as error:
        # A missing key (or a bad field): the batch stays approved, and "Generate the file now" retries.
        logger.error("batch %s: no file generated: %s", batch_id, "; ".join(error.messages))
        return batch.status
    return transfer.file_name


@shared_task(queue=QUEUE)
def upload_window() -> list[int]:
    """06:00 and 18:00: one upload task per bank that has generated files waiting.

    First it writes the file of every approved batch still without one: the generation task sent on
    approval is lost when its worker is killed mid-task (redelivered only after the broker's one-hour
    visibility timeout) or the broker's queue is flushed, and nothing else would ever send that batch.
    Generation is idempotent, so a batch whose own task is still running just gets its file once."""
    for batch_id in (
        CollectionBatch.objects.filter(status=BatchStatus.APPROVED, bank__is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        try:
            generate_batch_file(batch_id)
        except codec.CodecError as error:
            # A field the file can't carry: the batch waits for the office (admin shows it), the others go on.
            logger.error("batch %s: no file generated: %s", batch_id, error)
    return _one_task_per_bank(
        CollectionBatch.objects.filter(status=BatchStatus.GENERATED, bank__is_active=True).values_list(
            "bank_id", flat=True
        ),
        upload_bank_batches,
    )


@shared_task(**BANK_TRANSFER)
def upload_bank_batches(self: Task, bank_id: int) -> list[int]:
    """Upload this bank's generated batches in order; stop at the first failure (retried with backoff)."""
    uploaded = []
    for batch in CollectionBatch.objects.filter(bank_id=bank_id, status=BatchStatus.GENERATED).order_by("pk"):
        try:
            result = services.batch_upload(batch=batch)
        except ValidationError as error:
            # Not retried: a missing key waits for the operator (recorded on the batch and in the audit).
            logger.error("bank %s: batch %s not uploaded: %s", bank_id, batch.pk, "; ".join(error.messages))
            break
        except TransportError as error:
            if isinstance(error, CircuitOpenError):
                logger.warning("bank %s: circuit open, batch %s waits for the next attempt", bank_id, batch.pk)
            return uploaded + _retry_later(self, error)
        if result is not None:
            uploaded.append(batch.pk)
    return uploaded


@shared_task(queue=QUEUE)
def returns_window() -> list[int]:
    """22:00: one returns-fetch task per active bank, then settle what the window allows."""
    return _one_task_per_bank(Bank.objects.filter(is_active=True).values_list("pk", flat=True), fetch_bank_returns)


@shared_task(**BANK_TRANSFER)
def fetch_bank_returns(self: Task, bank_id: int) -> list[str]:
    """Download and import every new return file of a bank, then settle what the window allows."""
    try:
        imported = services.returns_fetch(bank=Bank.objects.get(pk=bank_id))
    except ValidationError as error:
        return _wait_for_operator(self, error)
    except TransportError as error:
        return _retry_later(self, error)
    settle_due_batches.delay()
    return imported


@shared_task(queue=QUEUE)
def settle_due_batches() -> list[int]:
    today = timezone.localdate()
    settled = []
    for batch in CollectionBatch.objects.filter(
        status=BatchStatus.RETURNS_RECEIVED, return_window_closes_on__lte=today
    ).order_by("pk"):
        if services.batch_settle(batch=batch, today=today) is not None:
            settled.append(batch.pk)
    return settled


@shared_task(queue=QUEUE, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def email_reconciliation(reconciliation_id: int) -> bool:
    from banking.reports import reconciliation_email

    reconciliation = Reconciliation.objects.select_related("batch__bank").get(pk=reconciliation_id)
    if reconciliation.emailed_at is not None:
        return False
    sent = reconciliation_email(reconciliation=reconciliation)
    if sent:
        services.reconciliation_mark_emailed(reconciliation=reconciliation)
    return sent


@shared_task(queue=QUEUE)
def mandate_window() -> list[int]:
    """17:00: one task per active bank that has mandate requests (new, cancel, change) to send."""
    waiting_requests = (
        Mandate.objects.filter(bank__is_active=True)
        .exclude(pending_action=MandateAction.NONE)
        .values_list("bank_id", flat=True)
    )
    undelivered_files = TransferFile.objects.filter(
        bank__is_active=True, direction=Direction.OUTGOING, kind=codec.ACHP02, delivered_at__isnull=True
    ).values_list("bank_id", flat=True)
    return _one_task_per_bank([*waiting_requests, *undelivered_files], send_bank_mandates)


@shared_task(**BANK_TRANSFER)
def send_bank_mandates(self: Task, bank_id: int) -> list[str]:
    """Write the bank's ACHP02 of waiting requests and upload every undelivered mandate file, in order."""
    bank = Bank.objects.get(pk=bank_id)
    return _transfer(
        self, lambda: [transfer.file_name for transfer in services.mandate_files_send(bank=bank, actor="system")]
    )


@shared_task(queue=QUEUE)
def mandate_replies_window() -> list[int]:
    """08:00: one task per active bank with mandate files sent and not yet answered."""
    return _one_task_per_bank(
        Mandate.objects.filter(bank__is_active=True, request_file__delivered_at__isnull=False).values_list(
            "bank_id", flat=True
        ),
        fetch_bank_mandate_replies,
    )


@shared_task(**BANK_TRANSFER)
def fetch_bank_mandate_replies(self: Task, bank_id: int) -> list[str]:
    bank = Bank.objects.get(pk=bank_id)
    return _transfer(self, lambda: [result.transfer.file_name for result in services.mandate_replies_fetch(bank=bank)])


@shared_task(queue=QUEUE)
def check_overdue_returns() -> list[int]:
    """09:00: flag uploaded batches whose return window passed with no return file (admin, log, email)."""
    return services.batches_flag_overdue_returns()


@shared_task(queue=QUEUE, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def email_overdue_returns(batch_id: int) -> bool:
    from banking.reports import overdue_returns_email

    return overdue_returns_email(batch=CollectionBatch.objects.select_related("bank").get(pk=batch_id))


@shared_task(queue=QUEUE, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def check_calendar() -> list[int]:
    """09:00: years coming within the horizon whose holidays nobody entered (log, and email finance)."""
    from banking.calendar import CALENDAR_HORIZON_DAYS, years_without_holidays
    from banking.reports import calendar_missing_email

    years = years_without_holidays(timezone.localdate())
    if years:
        logger.error(
            "the bank calendar has no holidays for %s, which starts within %s days: enter them in admin",
            ", ".join(map(str, years)),
            CALENDAR_HORIZON_DAYS,
        )
        calendar_missing_email(years=years)
    return years
