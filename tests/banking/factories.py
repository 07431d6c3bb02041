"""Banking test data built through the services (accounts are encrypted the real way)."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from banking import services
from banking.models import Bank, BatchStatus, CollectionBatch, Mandate
from luckygas.delivery.models import Invoice, PaymentMethod
from tests.delivery.factories import CustomerFactory, InvoiceFactory


def valid_national_id(index: int) -> str:
    """A checksummed national ID, distinct per index."""
    from luckygas.delivery.validators import is_valid_national_id

    letters = "ABCDEFGHJKLMNPQRSTUVXYWZIO"
    letter = letters[index % len(letters)]
    for last in range(10):
        candidate = f"{letter}1{index:07d}{last}"
        if is_valid_national_id(candidate):
            return candidate
    raise AssertionError("no valid ID")


def make_bank(*, server=None, code: str = "822", key_reference: str = "TESTBANK", **fields: object) -> Bank:
    defaults: dict[str, object] = {
        "name": "中國信託商業銀行",
        "sending_unit": "8220901",
        "originator_account": "12345678901",
        "originator_tax_id": "24536806",
        "sftp_host": "127.0.0.1",
        "sftp_port": server.port if server else 22,
        "sftp_username": server.user if server else "luckygas",
        "host_key": server.host_key_line if server else "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummyKeyForOfflineTests0",
        "key_reference": key_reference,
        "upload_folder": str(server.upload_dir) if server else "/upload",
        "returns_folder": str(server.returns_dir) if server else "/returns",
        "return_window_business_days": 0,
        "finance_email": "finance@luckygas.example",
        # Tests run at any hour: files generated now keep today's date (see the business_day_today fixture).
        "upload_cutoff": datetime.time(23, 59, 59),
    }
    defaults.update(fields)
    return Bank.objects.create(code=code, **defaults)


def make_mandate(
    *,
    bank: Bank,
    index: int,
    account_number: str | None = None,
    customer_number: str | None = None,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    limit_amount: int | None = None,
) -> Mandate:
    """A direct-debit customer with an account and a new mandate, pending until the bank replies."""
    customer = CustomerFactory(payment_method=PaymentMethod.DIRECT_DEBIT)
    account = services.bank_account_create(
        customer=customer,
        bank_branch="0040037",
        account_number=account_number or f"{1000000000 + index:d}",
        holder_id=valid_national_id(index),
    )
    return services.mandate_create(
        customer=customer,
        bank=bank,
        account=account,
        customer_number=customer_number or f"C{customer.code}",
        start_date=start_date or timezone.localdate(),
        end_date=end_date,
        limit_amount=limit_amount,
    )


def make_debtor(
    *,
    bank: Bank,
    index: int,
    amount: int = 1900,
    due_date: datetime.date | None = None,
    limit_amount: int | None = None,
) -> tuple[Invoice, Mandate]:
    """A direct-debit customer with an account, a verified mandate and one due invoice."""
    mandate = make_mandate(
        bank=bank,
        index=index,
        start_date=timezone.localdate() - datetime.timedelta(days=60),
        limit_amount=limit_amount,
    )
    services.mandate_record_reply(mandate=mandate, reply_code="0")
    invoice = InvoiceFactory(customer=mandate.customer, amount=amount, due_date=due_date or timezone.localdate())
    return invoice, mandate


def make_batch(
    *,
    bank: Bank,
    prepared_by: AbstractBaseUser,
    approved_by: AbstractBaseUser | None = None,
    until: BatchStatus = BatchStatus.DRAFT,
    case_number: str = "CASE-1",
) -> CollectionBatch:
    """Today's batch of every due invoice, taken through the services up to `until`.

    DRAFT prepares it; APPROVED also approves it (by `approved_by`); GENERATED also writes its file;
    UPLOADED also marks it uploaded through the bank's portal by the preparer, under `case_number`.
    """
    steps = [BatchStatus.DRAFT, BatchStatus.APPROVED, BatchStatus.GENERATED, BatchStatus.UPLOADED]
    reached = steps[: steps.index(until) + 1]
    batch = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=prepared_by).batch
    if BatchStatus.APPROVED in reached:
        services.batch_approve(batch=batch, approver=approved_by)
    if BatchStatus.GENERATED in reached:
        services.batch_generate_file(batch=batch)
    if BatchStatus.UPLOADED in reached:
        services.batch_mark_uploaded_manually(batch=batch, actor=prepared_by, case_number=case_number)
    batch.refresh_from_db()
    return batch
