"""Demo data: a bank and verified mandates for the direct-debit customers, so `ach_build` writes a real file."""

from __future__ import annotations

import base64
import datetime
import os
import random
from typing import TextIO

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from banking import calendar, codec, services
from banking import secrets as bank_secrets
from banking.models import Bank, CollectionBatch, Mandate, MandateStatus
from luckygas.delivery import roles
from luckygas.delivery.models import Customer, Invoice, InvoiceStatus, PaymentMethod
from luckygas.delivery.validators import is_valid_national_id

NATIONAL_ID_LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"
# How many due invoices the demo's draft batch takes: the rest stay for the office to prepare a batch.
DEMO_BATCH_INVOICES = 5
# Bank and branch codes of customers' accounts (bank code + 4-digit branch).
CUSTOMER_BRANCHES = ["0040037", "0050018", "0060012", "0070015", "0080026", "0120013", "8120012", "8220901"]


def demo_national_id(rng: random.Random) -> str:
    while True:
        candidate = f"{rng.choice(NATIONAL_ID_LETTERS)}{rng.choice('12')}{rng.randint(0, 99999999):08d}"
        if is_valid_national_id(candidate):
            return candidate


def _demo_key_values() -> dict[str, str]:
    signing = ed25519.Ed25519PrivateKey.generate()
    sftp = ed25519.Ed25519PrivateKey.generate()
    return {
        bank_secrets.FILE_KEY: base64.b64encode(os.urandom(32)).decode(),
        bank_secrets.SIGNING_KEY: signing.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        bank_secrets.SFTP_KEY: sftp.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ).decode(),
    }


def demo_bank_keys_ensure(*, bank: Bank, stdout: TextIO) -> None:
    """Under DJANGO_DEBUG only: development keys for the demo bank, written once (kept afterwards, so
    the files already sealed with them still open) where the secrets loader reads them."""
    if not settings.DEBUG:
        names = ", ".join(bank_secrets.bank_secret_name(bank.key_reference, p) for p in _demo_key_values())
        stdout.write(f"  banking: DJANGO_DEBUG is off, so no development keys: configure {names}\n")
        return
    directory = bank_secrets.development_secrets_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = []
    for purpose, value in _demo_key_values().items():
        name = bank_secrets.bank_secret_name(bank.key_reference, purpose)
        path = directory / name
        try:
            bank_secrets.secrets.get(name)
        except bank_secrets.SecretNotFoundError:
            # O_EXCL: two seeders never overwrite each other's key.
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
                handle.write(value)
            written.append(name)
    if written:
        stdout.write(
            f"  banking: DEVELOPMENT keys for the demo bank written to {directory} ({', '.join(written)}); "
            "they are read only with DJANGO_DEBUG on and must never serve a real bank\n"
        )
    else:
        stdout.write(f"  banking: the demo bank's development keys already exist ({directory})\n")


def seed_demo_data(*, password: str, stdout: TextIO) -> None:
    """Idempotent: the bank is created once; customers that already have a mandate are left alone."""
    with transaction.atomic():
        bank, created = Bank.objects.get_or_create(
            code="822",
            defaults={
                "name": "中國信託商業銀行",
                "sending_unit": "8220901",
                "originator_account": "901540012345",
                "originator_tax_id": "24536806",
                "transaction_code": 585,
                "sftp_host": "127.0.0.1",
                "sftp_port": 2222,
                "sftp_username": "luckygas",
                # Placeholder until the bank sends its real key: any other key is refused.
                "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJlcGxhY2Ugd2l0aCB0aGUgYmFuaydzIGhvc3Qga2V5",
                "key_reference": "DEMO822",
                "finance_email": "finance@luckygas.example",
            },
        )
        customers = (
            Customer.objects.filter(payment_method=PaymentMethod.DIRECT_DEBIT, is_active=True)
            .exclude(mandates__bank=bank)
            .order_by("pk")
        )
        start = timezone.localdate().replace(day=1) - datetime.timedelta(days=365)
        count = 0
        for customer in customers:
            rng = random.Random(f"banking-demo-{customer.code}")  # stable per customer
            holder_id = customer.tax_id if customer.tax_id and codec.is_valid_customer_id(customer.tax_id) else None
            account = services.bank_account_create(
                customer=customer,
                bank_branch=rng.choice(CUSTOMER_BRANCHES),
                account_number=f"{rng.randint(10**11, 10**14 - 1)}",
                holder_id=holder_id or demo_national_id(rng),
            )
            mandate = services.mandate_create(
                customer=customer,
                bank=bank,
                account=account,
                customer_number=customer.code,
                start_date=start,
                limit_amount=rng.choice([None, 20000, 50000]),
                actor="seed_demo",
            )
            services.mandate_record_reply(mandate=mandate, reply_code="0", actor="seed_demo")
            count += 1
    demo_bank_keys_ensure(bank=bank, stdout=stdout)
    demo_draft_batch_ensure(bank=bank, stdout=stdout)
    verified = Mandate.objects.filter(bank=bank, status=MandateStatus.VERIFIED).count()
    state = "created" if created else "exists"
    stdout.write(f"  banking: bank {bank} {state}; {count} new verified mandates ({verified} in all)\n")


def demo_draft_batch_ensure(*, bank: Bank, stdout: TextIO) -> None:
    """Once, for a demo without batches: a draft batch the office prepared from a few due direct-debit
    invoices, so a manager or an admin can follow the approval step of the finance guide (maker-checker)."""
    User = get_user_model()
    office = User.objects.filter(groups__name=roles.OFFICE, is_active=True).order_by("pk").first()
    if office is None or CollectionBatch.objects.filter(bank=bank).exists():
        return
    due = (
        Invoice.objects.filter(
            status=InvoiceStatus.OPEN,
            customer__payment_method=PaymentMethod.DIRECT_DEBIT,
            customer__mandates__bank=bank,
            customer__mandates__status=MandateStatus.VERIFIED,
        )
        .order_by("due_date", "pk")
        .values_list("pk", "due_date")
    )
    if not due:
        return
    collection_date = calendar.next_business_day(max(timezone.localdate(), due[0][1]), include_today=True)
    invoice_ids = [pk for pk, due_date in due if due_date <= collection_date][:DEMO_BATCH_INVOICES]
    result = services.batch_prepare(
        bank=bank, collection_date=collection_date, prepared_by=office, invoice_ids=invoice_ids
    )
    if result.batch is not None:
        stdout.write(
            f"  banking: draft batch #{result.batch.pk} of {result.batch.item_count} invoices, prepared by "
            f"{office.get_username()} for {collection_date.isoformat()}, waiting for a manager's or admin's approval\n"
        )
