"""Every admin action and every management command of our apps runs on the `make run` demo without a 500
or a traceback.

The admin actions are found by walking `admin.site._registry` and the commands from `get_commands()`,
so a new action or command is covered (a command also needs a row in `COMMAND_ARGUMENTS` when it takes
arguments: a test fails when one is missing). The demo is `seed_demo` under DJANGO_DEBUG, as `make run`
does, with nothing configured beyond it; Celery tasks run in the request, as without a broker.
"""

from __future__ import annotations

import contextlib
import datetime
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command, get_commands
from django.db import transaction
from django.db.models import Max
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from luckygas.celery import app as celery_app
from luckygas.delivery.models import Invoice, InvoiceStatus, PaymentMethod

pytestmark = pytest.mark.django_db
OUR_APPS = ("luckygas.delivery", "offline_sync", "sms", "banking", "dashboard", "dispatch", "v3import", "training")
SELECTED = 3  # objects selected per action: the first ones of the changelist


@dataclass
class Demo:
    tmp: Path
    collection_date: datetime.date
    cleanups: contextlib.ExitStack

    def v3_source(self) -> str:
        """A LuckyGas v3 database to move in from, as the office's rehearsal would have (dropped after the test)."""
        from tests import servers
        from tests.v3import.v3db import fill_awkward, v3_database

        url = self.cleanups.enter_context(v3_database(servers.test_database_url()))
        fill_awkward(url)
        return url

    def collection_file(self) -> str:
        return str(self.tmp / "achp01-demo.txt")

    def returns_file(self) -> str:
        """A return file (ACHR01, no return) for the demo's latest batch with a file, as the bank sends one."""
        from banking import codec, services
        from banking.models import CollectionBatch, Direction

        batch = CollectionBatch.objects.filter(files__direction=Direction.OUTGOING).order_by("-pk").first()
        plain = services.batch_build_plain_file(batch=batch)
        path = self.tmp / "ACHR01-demo.txt"
        path.write_bytes(
            codec.build_returns(
                submission=codec.parse_file(plain).file,
                processing_date=batch.collection_date + datetime.timedelta(days=1),
                previous_business_day=batch.collection_date,
                returned={1: "03"},
            )
        )
        return str(path)


# The arguments an operator would give each command on the demo (callables read the demo's state).
COMMAND_ARGUMENTS: dict[str, Callable[[Demo], list[str]]] = {
    "ach_build": lambda demo: [
        "--bank",
        "822",
        "--date",
        demo.collection_date.isoformat(),
        "--out",
        demo.collection_file(),
        "--user",
        "office",
    ],
    "ach_parse": lambda demo: [demo.collection_file()],
    "ach_import_returns": lambda demo: ["--bank", "822", demo.returns_file()],
    "ach_mandates": lambda demo: ["send", "--bank", "822"],
    "ach_verify_audit": lambda demo: [],
    "reencrypt_bank_accounts": lambda demo: [],
    "check_services": lambda demo: [],
    "import_v3": lambda demo: ["--source", demo.v3_source(), "--report-dir", str(demo.tmp / "v3-import")],
    "plan_routes": lambda demo: [
        "--vrplib",
        str(Path(__file__).resolve().parents[2] / "bench" / "instances" / "X-n101-50-k13.vrp"),
        "--seconds",
        "1",
        "--out",
        str(demo.tmp / "plan.json"),
    ],
    "rebuild_dashboard_rollups": lambda demo: [],
    "run_dashboard_ticker": lambda demo: ["--max-ticks", "1", "--interval", "0.01"],
    "reset_training": lambda demo: [],
    "seed_demo": lambda demo: ["--training", "2"],
    "sms_send": lambda demo: ["--to", "0912345678", "--body", "LuckyGas 測試訊息"],
}


# Commands whose right answer on the embedded demo (SQLite, no Redis) is a clean refusal: a CommandError
# naming what is missing is accepted for these, a traceback never.
REFUSE_CLEANLY_ON_THE_DEMO = {
    "check_services": "it checks the services the test suite needs (PostgreSQL, Redis), which the demo does not run",
}


def our_commands() -> list[str]:
    return sorted(name for name, app in get_commands().items() if app in OUR_APPS)


@pytest.fixture
def demo(settings, tmp_path: Path) -> Iterator[Demo]:
    from banking import calendar
    from banking import secrets as bank_secrets

    settings.DEBUG = True  # `make run` serves with DJANGO_DEBUG=1
    # `make run` configures no SMS provider (tests/sms's rig sets some for the whole session).
    settings.SMS_MITAKE_USERNAME = settings.SMS_EVERY8D_UID = settings.SMS_TWILIO_ACCOUNT_SID = ""
    settings.BANKING_DEVELOPMENT_SECRETS_DIR = tmp_path / "banking-secrets"
    bank_secrets.secrets.clear()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # no broker in the demo: tasks run where they are sent
    call_command("seed_demo", stdout=io.StringIO())
    # The operator collects on the first business day on which the demo's direct-debit invoices are due.
    due = Invoice.objects.filter(customer__payment_method=PaymentMethod.DIRECT_DEBIT, status=InvoiceStatus.OPEN)
    latest_due = max(due.aggregate(latest=Max("due_date"))["latest"], timezone.localdate())
    cleanups = contextlib.ExitStack()
    try:
        yield Demo(
            tmp=tmp_path,
            collection_date=calendar.next_business_day(latest_due, include_today=True),
            cleanups=cleanups,
        )
    finally:
        cleanups.close()
        celery_app.conf.task_always_eager = eager
        bank_secrets.secrets.clear()


def test_the_argument_table_covers_every_command_of_our_apps() -> None:
    assert sorted(COMMAND_ARGUMENTS) == our_commands()


# Ten commands end to end (a bank file built, sent and answered, the demo seeded again): about
# 80 s on a quiet machine, several minutes on a loaded one; the suite's 300 s default is too tight.
@pytest.mark.timeout(900)
def test_every_command_of_our_apps_runs_on_the_demo(demo: Demo, django_capture_on_commit_callbacks) -> None:
    failures = []
    # ach_build first: the file commands that follow read what it wrote. The ticker last: it closes the
    # database connection between ticks, as a long-running process should, which ends the test's transaction.
    order = {"ach_build": -1, "run_dashboard_ticker": 1}
    for name in sorted(our_commands(), key=lambda name: (order.get(name, 0), name)):
        if name == "ach_import_returns":
            # Between the maker's ach_build and the bank's return file: the checker approves, the file is made.
            _approve_and_generate_the_demo_batch()
        arguments = COMMAND_ARGUMENTS[name](demo)
        out, err = io.StringIO(), io.StringIO()
        try:
            with transaction.atomic(), django_capture_on_commit_callbacks(execute=True):
                call_command(name, *arguments, stdout=out, stderr=err)
        except CommandError as error:
            if name not in REFUSE_CLEANLY_ON_THE_DEMO:  # the operator's path must work on the demo
                failures.append(f"{name} {' '.join(arguments)}: CommandError: {error}\n{err.getvalue()}")
        except BaseException as error:
            failures.append(f"{name} {' '.join(arguments)}: {type(error).__name__}: {error}\n{err.getvalue()}")
    assert not failures, "\n".join(failures)


def _approve_and_generate_the_demo_batch() -> None:
    from banking import services
    from banking.models import BatchStatus, CollectionBatch

    batch = CollectionBatch.objects.filter(status=BatchStatus.DRAFT).order_by("-pk").first()
    if batch is not None:
        services.batch_approve(batch=batch, approver=get_user_model().objects.get(username="admin"))
        services.batch_generate_file(batch=batch, actor="demo operator")


def _admin_actions(user) -> list[tuple[type, admin.ModelAdmin, str]]:
    request = RequestFactory().get("/admin/")
    request.user = user
    found = []
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.get_actions(request):
            found.append((model, model_admin, name))
    return found


def test_every_admin_action_runs_on_the_demo_objects_without_a_500(
    demo: Demo, django_capture_on_commit_callbacks
) -> None:
    # given the demo, and the office's draft batch of the demo's invoices (the maker's step)
    call_command(*["ach_build", *COMMAND_ARGUMENTS["ach_build"](demo)], stdout=io.StringIO())
    admin_user = get_user_model().objects.get(username="admin")
    client = Client()
    client.force_login(admin_user)
    actions = _admin_actions(admin_user)
    assert len(actions) >= 20  # the walk found the registry (every admin has at least delete_selected)
    failures = []
    for model, model_admin, name in actions:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        request = RequestFactory().get(url)
        request.user = admin_user
        selected = list(model_admin.get_queryset(request).order_by("pk").values_list("pk", flat=True)[:SELECTED])
        if not selected:
            continue  # the demo has none of these objects: the action has nothing to act on
        try:
            with transaction.atomic(), django_capture_on_commit_callbacks(execute=True):
                response = client.post(url, {"action": name, "_selected_action": selected})
        except BaseException as error:
            failures.append(f"{opts.label}.{name}: {type(error).__name__}: {error}")
            continue
        if response.status_code >= 500:
            failures.append(f"{opts.label}.{name}: HTTP {response.status_code}")
    assert not failures, "\n".join(failures)
