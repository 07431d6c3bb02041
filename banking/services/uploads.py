"""Sending a batch's file to the bank by SFTP exactly once, or recording a manual upload through the portal."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from banking import events
from banking import secrets as bank_secrets
from banking.audit import audit_record_append
from banking.models import (
    Bank,
    BatchStatus,
    CollectionBatch,
    Direction,
    UploadMethod,
)
from banking.selectors import batch_debit_event_items
from banking.transport import BankClient, DeliveryResult, Endpoint, load_private_key


def bank_endpoint(bank: Bank) -> Endpoint:
    """The bank's SFTP endpoint; a missing SSH key is a ValidationError naming the secret."""
    from banking.services.files import BankKeyMissingError

    try:
        private_key_text = bank_secrets.bank_secret(bank.key_reference, bank_secrets.SFTP_KEY)
    except bank_secrets.SecretNotFoundError as error:
        raise BankKeyMissingError(bank=bank, name=error.name) from error
    return Endpoint(
        bank_code=bank.code,
        host=bank.sftp_host,
        port=bank.sftp_port,
        username=bank.sftp_username,
        host_key=bank.host_key,
        private_key=load_private_key(private_key_text),
    )


def bank_client(bank: Bank, **options: object) -> BankClient:
    from django.conf import settings

    options.setdefault("max_attempts", settings.BANKING_TRANSPORT_MAX_ATTEMPTS)
    options.setdefault("backoff_base", settings.BANKING_TRANSPORT_BACKOFF_SECONDS)
    return BankClient(bank_endpoint(bank), **options)  # type: ignore[arg-type]


def _mark_uploaded(
    *, batch: CollectionBatch, method: str, actor: AbstractBaseUser | str | None, case_number: str = "", details: dict
) -> None:
    now = timezone.now()
    claimed = CollectionBatch.objects.filter(pk=batch.pk, status=BatchStatus.GENERATED).update(
        status=BatchStatus.UPLOADED, upload_method=method, uploaded_at=now, bank_case_number=case_number, last_error=""
    )
    if not claimed:
        raise ValidationError({"status": _("Only a batch with a generated file can be marked uploaded.")})
    transfer = batch.files.get(direction=Direction.OUTGOING)
    transfer.delivered_at = now
    transfer.save(update_fields=["delivered_at"])
    audit_record_append(
        action="batch.uploaded",
        actor=actor,
        bank_code=batch.bank.code,
        batch_id=batch.pk,
        file_sha256=transfer.sealed_sha256 if method == UploadMethod.SFTP else transfer.sha256,
        details={"method": method, "case_number": case_number, **details},
    )
    events.publish_on_commit(events.BATCH_CHANGED, batch_id=batch.pk)
    # The customers' payment-due notices commit (or not) with the upload: once per batch, every item.
    events.publish_in_transaction(events.DIRECT_DEBIT_SCHEDULED, items=batch_debit_event_items(batch=batch))


def batch_upload(*, batch: CollectionBatch, client: BankClient | None = None) -> DeliveryResult | None:
    """Send a generated batch's sealed file by SFTP exactly once; None when it was already uploaded.

    The batch row stays locked for the whole upload, so two workers never send the same batch
    at once; the transport's listing before any retry covers an acknowledgement lost on the way.
    A failure is recorded (attempts, last error, audit) and then raised for the task to retry.
    """
    failure: Exception | None = None
    result: DeliveryResult | None = None
    with transaction.atomic():
        locked = CollectionBatch.objects.select_for_update().select_related("bank").get(pk=batch.pk)
        if locked.status != BatchStatus.GENERATED:
            return None
        transfer = locked.files.get(direction=Direction.OUTGOING)
        try:
            client = client or bank_client(locked.bank)
            result = client.deliver(
                data=bytes(transfer.sealed_content), folder=locked.bank.upload_folder, name=transfer.file_name
            )
        except Exception as error:
            failure = error
        CollectionBatch.objects.filter(pk=locked.pk).update(
            upload_attempts=F("upload_attempts") + 1,
            last_error="" if failure is None else f"{type(failure).__name__}: {failure}"[:2000],
        )
        if failure is not None:
            audit_record_append(
                action="upload.failed",
                actor="system",
                bank_code=locked.bank.code,
                batch_id=locked.pk,
                file_sha256=transfer.sealed_sha256,
                details={"error": type(failure).__name__, "message": str(failure)[:500]},
            )
        elif result is not None:
            _mark_uploaded(
                batch=locked,
                method=UploadMethod.SFTP,
                actor="system",
                details={
                    "remote_path": result.remote_path,
                    "attempts": result.attempts,
                    "found": result.already_present,
                },
            )
    if failure is not None:
        raise failure
    return result


def batch_mark_uploaded_manually(
    *, batch: CollectionBatch, actor: AbstractBaseUser, case_number: str
) -> CollectionBatch:
    """The manual path: the file went through the bank's portal; record the bank's case number."""
    if not case_number.strip():
        raise ValidationError({"case_number": _("Enter the bank's case number.")})
    with transaction.atomic():
        CollectionBatch.objects.select_for_update().get(pk=batch.pk)
        _mark_uploaded(
            batch=batch, method=UploadMethod.PORTAL, actor=actor, case_number=case_number.strip(), details={}
        )
    batch.refresh_from_db()
    return batch
