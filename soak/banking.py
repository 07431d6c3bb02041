"""Issue #18's banking day: a collection batch approved, sent through the SFTP window, answered by the bank.

The bank is a real OpenSSH sshd on loopback with its own host key and folders, and a simulator process
that opens each ACHP01 we upload and answers with a sealed ACHR01 rejecting some items (both from
tests/banking/bank_side.py). Our keys reach the product as production mounts them: one file per
secret in `BANKING_SECRETS_DIR`, the SFTP key only on the banking worker.

The office works through the services the admin's pages call: a clerk prepares the batch as the day
starts (the prepare page's default date), a manager approves it (acknowledging the large-transaction
flag as the admin's action does) as the bank first refuses connections. From there it is the product's
own path: the banking worker writes the file, beat's upload and returns windows (a few seconds apart: an
admin can set any schedule in Periodic tasks) upload it exactly once and verify it, then fetch and
import the return file.

The harness process has no Django settings: what needs Django runs in a child process
(`python -m soak.banking <step> <json arguments>`), as the other parts' seeding does.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from tests.banking.bank_side import SshServer

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = "SOAKBANK"
BANK_CODE = "822"
CLERK = "soak-clerk"  # the maker
CHECKER = "soak-checker"  # the checker: another user, with the approve permission
# The bank rejects every RETURN_EVERY-th item, cycling through these reasons (retry, fix the mandate, closed).
RETURN_EVERY = 29
RETURN_CODES = ("01", "04", "22", "03")
# Beat's banking windows in the compressed day, and how the product backs off from a bank that is down:
# production's 300 s circuit cooldown would outlast a one-minute day.
WINDOW_SECONDS = 4
SETTINGS = {"BANKING_BREAKER_COOLDOWN_SECONDS": "5", "BANKING_TRANSPORT_BACKOFF_SECONDS": "0.5"}
WINDOW_TASKS = ("banking.tasks.upload_window", "banking.tasks.returns_window")


class Bank:
    """The bank's side of the day: its sshd, its simulator, our keys as mounted secrets."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.server = SshServer(base / "bank")
        self.secrets = base / "bank-secrets"  # file keys: every process (web approves, workers write files)
        self.worker_secrets = base / "bank-secrets-banking"  # and the SFTP key: the banking worker only
        self.material = base / "bank-keys.json"  # the bank's copy of the exchanged keys
        self.answers = base / "bank-answers.jsonl"  # what the bank received and returned
        self.simulator: subprocess.Popen | None = None
        self.refusals = 0
        self.batch_id: int | None = None

    def environment(self) -> dict[str, str]:
        return {"BANKING_SECRETS_DIR": str(self.secrets), **SETTINGS}

    def worker_environment(self) -> dict[str, str]:
        return {"BANKING_SECRETS_DIR": str(self.worker_secrets)}

    def start(self) -> None:
        for folder in (self.secrets, self.worker_secrets):
            folder.mkdir(mode=0o700, exist_ok=True)
        self.server.start()

    def seed(self, django_env: dict[str, str], items: int) -> dict[str, Any]:
        return in_django(
            django_env,
            "seed",
            items=items,
            root=str(self.server.root),
            port=self.server.port,
            user=self.server.user,
            secrets=str(self.secrets),
            worker_secrets=str(self.worker_secrets),
            material=str(self.material),
        )

    def start_simulator(self, django_env: dict[str, str]) -> None:
        arguments = {"root": str(self.server.root), "port": self.server.port, "material": str(self.material)}
        self.simulator = subprocess.Popen(
            [sys.executable, "-m", "soak.banking", "simulate", json.dumps({**arguments, "log": str(self.answers)})],
            cwd=ROOT,
            env=django_env,
            stdout=(self.base / "bank-simulator.log").open("ab"),
            stderr=subprocess.STDOUT,
        )

    def refuse(self, seconds: float) -> str:
        """The fault: the bank's SFTP server goes away (connections refused) for `seconds`, then comes back."""
        self.server.stop()
        self.refusals += 1
        try:
            time.sleep(seconds)
        finally:
            self.server.start()
        return f"bank SFTP refused connections for {seconds:.0f} s (sshd stopped, then restarted)"

    def office_day(self, django_env: dict[str, str], *, approve: bool, attempts: int = 10) -> dict[str, Any]:
        """The clerk prepares (then, with `approve`, the manager approves); tried again, as a person would after an
        error page."""
        attempt = 1
        while True:
            try:
                result = in_django(django_env, "office", approve=approve)
            except subprocess.CalledProcessError as error:
                if attempt >= attempts:
                    raise
                print(f"[soak] banking: the office's attempt {attempt} failed, again in 3 s: {error}", flush=True)
                time.sleep(3)
                attempt += 1
                continue
            self.batch_id = result["batch"]
            return result

    def wait_for_returns(self, database_url: str, timeout: float) -> str:
        """After the day: until the batch's return file is imported (or `timeout`); its status."""
        deadline = time.monotonic() + timeout
        status = "no batch"
        while self.batch_id is not None:
            try:
                with psycopg.connect(database_url, connect_timeout=5) as connection:
                    status = connection.execute(
                        "SELECT status FROM banking_collectionbatch WHERE id = %s", [self.batch_id]
                    ).fetchone()[0]
            except psycopg.Error as error:
                status = f"unknown ({type(error).__name__})"
            if status in ("returns_received", "settled") or time.monotonic() > deadline:
                break
            time.sleep(1)
        return status

    def check(self, django_env: dict[str, str]) -> list[tuple[str, bool, str]]:
        if self.batch_id is None:
            return [("banking: the office prepared and approved a batch", False, "no batch was approved")]
        rows = in_django(
            django_env,
            "check",
            batch=self.batch_id,
            upload_dir=str(self.server.upload_dir),
            answers=str(self.answers),
        )
        return [(name, holds, detail) for name, holds, detail in rows]

    def stop(self) -> None:
        if self.simulator is not None and self.simulator.poll() is None:
            self.simulator.terminate()
            self.simulator.wait(timeout=20)
        self.server.stop()


def office_day_at_first_refusal(bank: Bank, django_env: dict[str, str], latest: float) -> None:
    """The clerk prepares the batch as the day starts; the manager approves it as the bank's server first refuses
    connections (or at `latest` seconds): the upload's first attempts meet the refused port, so the product's
    retries are what deliver it."""
    started = time.monotonic()
    print(f"[soak] banking: the clerk prepared {bank.office_day(django_env, approve=False)}", flush=True)
    while not bank.refusals and time.monotonic() - started < latest:
        time.sleep(0.2)
    print(f"[soak] banking: the manager approved {bank.office_day(django_env, approve=True)}", flush=True)


def in_django(django_env: dict[str, str], step: str, **arguments: object) -> Any:
    """Run one step of this module in a child process with Django set up; its JSON result."""
    output = subprocess.run(
        [sys.executable, "-m", "soak.banking", step, json.dumps(arguments)],
        cwd=ROOT,
        env={**django_env, "DJANGO_SETTINGS_MODULE": "luckygas.settings"},
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- The steps, in a child process with Django set up -------------------------------------------------


def seed(
    *, items: int, root: str, port: int, user: str, secrets: str, worker_secrets: str, material: str
) -> dict[str, Any]:
    """Before the day: the keys exchanged with the bank, the bank as admin configures it, the office's two users,
    `items` direct-debit customers with a verified mandate and a due invoice, the windows a few seconds apart."""
    import random

    from django.contrib.auth.models import Group, User
    from django.db import transaction
    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from banking import services
    from banking.demo import CUSTOMER_BRANCHES, demo_national_id
    from banking.models import Bank as BankRow
    from luckygas.delivery import roles
    from luckygas.delivery.models import Customer, Invoice, PaymentMethod
    from tests.banking.bank_side import BankKeyMaterial

    server_root = Path(root)
    keys = BankKeyMaterial.generate(reference=REFERENCE, sftp_private_key=(server_root / "client_ed25519").read_text())
    keys.save(Path(material))
    for name, value in keys.environment().items():
        folders = [Path(worker_secrets)] if name.endswith("_SFTP_KEY") else [Path(secrets), Path(worker_secrets)]
        for folder in folders:
            with os.fdopen(os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
                handle.write(value)
    host_key = " ".join((server_root / "ssh_host_ed25519_key.pub").read_text().split()[:2])
    bank = BankRow(
        code=BANK_CODE,
        name="中國信託商業銀行",
        sending_unit="8220901",
        originator_account="12345678901",
        originator_tax_id="24536806",
        sftp_host="127.0.0.1",
        sftp_port=port,
        sftp_username=user,
        host_key=host_key,
        key_reference=REFERENCE,
        upload_folder=str(server_root / "bank" / "upload"),
        returns_folder=str(server_root / "bank" / "returns"),
        finance_email="finance@luckygas.example",
    )
    bank.full_clean()
    bank.save()
    clerk = User.objects.create_user(CLERK, is_staff=True)
    clerk.groups.add(Group.objects.get(name=roles.OFFICE))
    checker = User.objects.create_user(CHECKER, is_staff=True)
    checker.groups.add(Group.objects.get(name=roles.MANAGER))
    rng = random.Random(18)
    today = timezone.localdate()
    # Landline numbers only: the payment-due and payment-failed SMS would otherwise add `items` messages
    # to the day's SMS limit, which the SMS part of the soak measures on its own notices.
    customers = Customer.objects.bulk_create(
        Customer(
            code=f"B{index:06d}",
            short_name=f"扣款戶{index}",
            phone=f"+8862{27000000 + index:08d}",
            city="臺北市",
            district="信義區",
            address=f"松仁路{index + 1}號",
            payment_method=PaymentMethod.DIRECT_DEBIT,
        )
        for index in range(items)
    )
    for index, customer in enumerate(customers):
        with transaction.atomic():
            account = services.bank_account_create(
                customer=customer,
                bank_branch=CUSTOMER_BRANCHES[index % len(CUSTOMER_BRANCHES)],
                account_number=f"{rng.randint(10**9, 10**13):d}",
                holder_id=demo_national_id(rng),
            )
            mandate = services.mandate_create(
                customer=customer,
                bank=bank,
                account=account,
                customer_number=customer.code,
                start_date=today - datetime.timedelta(days=60),
                actor=clerk,
            )
            services.mandate_record_reply(mandate=mandate, reply_code="0", actor="system")
    Invoice.objects.bulk_create(
        Invoice(
            number=f"INV-B{index:06d}",
            customer=customer,
            issue_date=today - datetime.timedelta(days=20),
            due_date=today - datetime.timedelta(days=1),
            amount=rng.randrange(600, 4000, 10),
        )
        for index, customer in enumerate(customers)
    )
    every, _created = IntervalSchedule.objects.get_or_create(every=WINDOW_SECONDS, period=IntervalSchedule.SECONDS)
    windows = list(PeriodicTask.objects.filter(task__in=WINDOW_TASKS))
    for task in windows:
        task.crontab = None
        task.interval = every
        task.save()  # save(), not update(): beat notices a changed schedule through PeriodicTasks
    return {"customers": len(customers), "windows": sorted(task.name for task in windows)}


def office(*, approve: bool) -> dict[str, Any]:
    """The clerk prepares the batch on the prepare page's default date; with `approve`, the manager approves it.

    Safe to run again after an error (the office retries): a batch already prepared is not prepared again,
    one already approved is left alone."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from banking import calendar, services
    from banking.models import Bank as BankRow
    from banking.models import BatchStatus, CollectionBatch

    bank = BankRow.objects.get(code=BANK_CODE)
    clerk = User.objects.get(username=CLERK)
    checker = User.objects.get(username=CHECKER)
    batch = CollectionBatch.objects.filter(bank=bank, prepared_by=clerk).exclude(status=BatchStatus.CANCELLED).first()
    skipped = 0
    if batch is None:
        first_day = calendar.next_business_day(timezone.localdate(), include_today=True)
        result = services.batch_prepare(bank=bank, collection_date=first_day, prepared_by=clerk)
        batch, skipped = result.batch, len(result.skipped)
        if batch is None:
            raise RuntimeError(f"no batch prepared: {result.skipped[:5]}")
    if approve and batch.status == BatchStatus.DRAFT:
        batch = services.batch_approve(batch=batch, approver=checker, acknowledge_large=batch.is_large)
    return {
        "batch": batch.pk,
        "items": batch.item_count,
        "total": batch.total_amount,
        "large": batch.is_large,
        "status": batch.status,
        "skipped": skipped,
        "collection_date": batch.collection_date.isoformat(),
    }


def simulate(*, root: str, port: int, material: str, log: str) -> None:
    """The bank: answers each collection file that appears in its upload folder with a sealed return file,
    rejecting every RETURN_EVERY-th item, and logs what it received and returned (one JSON line a file)."""
    import hashlib
    import types

    from banking import codec
    from tests.banking.bank_side import BankKeyMaterial, BankSimulator

    folders = types.SimpleNamespace(
        upload_dir=Path(root) / "bank" / "upload", returns_dir=Path(root) / "bank" / "returns"
    )
    simulator = BankSimulator(folders, BankKeyMaterial.load(Path(material)))  # type: ignore[arg-type]
    log_path = Path(log)
    answered = {json.loads(line)["file"] for line in log_path.read_text().splitlines()} if log_path.exists() else set()
    while True:
        for path in simulator.submissions():
            if path.name in answered:
                continue
            data = path.read_bytes()
            submission = simulator.open_submission(path)  # decrypts, checks our signature, parses strictly
            rejected = [detail["seq"] for detail in submission.details if detail["seq"] % RETURN_EVERY == 0]
            returned = {seq: RETURN_CODES[number % len(RETURN_CODES)] for number, seq in enumerate(rejected)}
            submitted_on = codec.parse_roc_date(f"{submission.header['tdate']:08d}")
            processing_date = submitted_on + datetime.timedelta(days=1)
            while processing_date.weekday() >= 5:  # the bank's next working day
                processing_date += datetime.timedelta(days=1)
            time.sleep(1)  # the bank takes a moment
            answer = simulator.answer(path, returned=returned, processing_date=processing_date)
            with log_path.open("a") as handle:
                entry = {
                    "file": path.name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "items": len(submission.details),
                    "returned": {str(seq): code for seq, code in returned.items()},
                    "answer": answer.name,
                }
                handle.write(json.dumps(entry) + "\n")
            print(f"bank: {path.name}: {len(submission.details)} items, {len(returned)} returned", flush=True)
            answered.add(path.name)
        time.sleep(0.5)


def check(*, batch: int, upload_dir: str, answers: str) -> list[tuple[str, bool, str]]:
    """The banking invariants, from the database, the bank's folder and the bank's own log."""
    import collections
    import hashlib

    from banking.audit import audit_chain_verify
    from banking.models import (
        AuditRecord,
        BatchStatus,
        CollectionBatch,
        Direction,
        ItemStatus,
        ReturnRecord,
        TransferFile,
        UploadMethod,
    )

    collection = CollectionBatch.objects.select_related("bank").get(pk=batch)
    sent = collection.files.filter(direction=Direction.OUTGOING).first()
    folder = Path(upload_dir)
    on_server = sorted(path.name for path in folder.iterdir() if not path.name.startswith("."))
    partials = sorted(path.name for path in folder.iterdir() if path.name.startswith("."))
    log_path = Path(answers)
    received = [json.loads(line) for line in log_path.read_text().splitlines()] if log_path.exists() else []
    answer = next((entry for entry in received if sent and entry["file"] == sent.file_name), None)
    bank_copy = folder / sent.file_name if sent else None
    same_bytes = bool(
        sent
        and bank_copy
        and bank_copy.exists()
        and hashlib.sha256(bank_copy.read_bytes()).hexdigest() == sent.sealed_sha256
    )
    uploaded_records = AuditRecord.objects.filter(action="batch.uploaded", batch_id_ref=collection.pk)
    failures = AuditRecord.objects.filter(action="upload.failed", batch_id_ref=collection.pk).count()
    sent_statuses = (BatchStatus.UPLOADED, BatchStatus.RETURNS_RECEIVED, BatchStatus.SETTLED)
    upload = (
        "banking: the collection batch uploaded exactly once by SFTP and verified",
        bool(sent)
        and on_server == [sent.file_name]
        and same_bytes
        and answer is not None
        and answer["items"] == collection.item_count
        and uploaded_records.count() == 1
        and collection.status in sent_statuses
        and collection.upload_method == UploadMethod.SFTP,
        f"batch #{collection.pk}: {collection.item_count} items NT${collection.total_amount:,}, status "
        f"{collection.status}; on the bank's server {on_server} (partial uploads left: {len(partials)}), "
        f"{'the same bytes as the stored sealed copy' if same_bytes else 'NOT the stored sealed copy'}; the bank "
        f"opened {answer['items'] if answer else 'nothing'} items; {collection.upload_attempts} upload attempts, "
        f"{failures} failed (recorded in the audit), {uploaded_records.count()} 'batch.uploaded' record(s) "
        f"{[record.details for record in uploaded_records]}",
    )
    expected = {int(seq): code for seq, code in (answer or {}).get("returned", {}).items()}
    records = list(ReturnRecord.objects.filter(transfer_file__bank=collection.bank).select_related("item"))
    unmatched = [record for record in records if record.item_id is None]
    by_sequence = {record.sequence: record.return_code for record in records}
    return_files = TransferFile.objects.filter(bank=collection.bank, direction=Direction.INCOMING, kind="ACHR01")
    items = list(collection.items.all())
    settled = collection.status == BatchStatus.SETTLED
    inconsistent = [
        item.sequence
        for item in items
        if (
            (item.status, item.return_code, item.is_open) != (ItemStatus.RETURNED, expected[item.sequence], False)
            if item.sequence in expected
            else (
                (item.status, item.is_open, item.payment_id is not None) != (ItemStatus.COLLECTED, False, True)
                if settled
                else (item.status, item.is_open) != (ItemStatus.PENDING, True)
            )
        )
    ]
    returns = (
        "banking: the bank's return file fetched and imported, every return matched to its item",
        answer is not None
        and return_files.count() == len(received)
        and not unmatched
        and by_sequence == expected
        and not inconsistent
        and collection.status in (BatchStatus.RETURNS_RECEIVED, BatchStatus.SETTLED),
        f"{return_files.count()} return file(s) imported of {len(received)} the bank wrote; {len(records)} returns "
        f"({dict(collections.Counter(by_sequence.values()))}), the bank returned {len(expected)}; {len(unmatched)} "
        f"unmatched; items {dict(collections.Counter(item.status for item in items))}, {len(inconsistent)} "
        f"inconsistent {inconsistent[:10]}",
    )
    count, problems = audit_chain_verify()
    actions = collections.Counter(
        AuditRecord.objects.filter(batch_id_ref=collection.pk).values_list("action", flat=True)
    )
    audit = (
        "banking: the audit chain intact (audit_chain_verify)",
        not problems and count > 0,
        f"{count} records, {len(problems)} problems {[(item.record_id, item.problem) for item in problems[:5]]}; "
        f"the batch's records {dict(actions)}",
    )
    return [upload, returns, audit]


STEPS = {"seed": seed, "office": office, "simulate": simulate, "check": check}

if __name__ == "__main__":
    import django

    django.setup()
    outcome = STEPS[sys.argv[1]](**json.loads(sys.argv[2]))
    print(json.dumps(outcome, default=str))
