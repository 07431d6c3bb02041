"""ACHP02 end to end: new, cancel and change requests go to the bank over SFTP, and its replies apply."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from banking import codec, services, tasks
from banking import secrets as bank_secrets
from banking.models import AuditRecord, Direction, Mandate, MandateAction, MandateStatus, TransferFile
from banking.transport import TransportError
from tests.banking.bank_side import BankKeyMaterial, BankSimulator, SshServer, running_sshd
from tests.banking.factories import make_bank, make_debtor, make_mandate

pytestmark = pytest.mark.django_db
ON = datetime.date(2026, 8, 4)


@pytest.fixture
def exchange(sshd: SshServer, bank_keys: BankKeyMaterial, business_day_today) -> BankSimulator:
    for folder in (sshd.upload_dir, sshd.returns_dir):
        for path in folder.iterdir():
            path.unlink()
    return BankSimulator(sshd, bank_keys)


def new_mandate(bank, index: int, *, limit: int | None = 8000) -> Mandate:
    return make_mandate(
        bank=bank,
        index=index,
        account_number=f"55{index:08d}",
        customer_number=f"N{index:04d}",
        start_date=timezone.localdate() - datetime.timedelta(days=30),
        limit_amount=limit,
    )


def test_requests_go_out_by_sftp_and_the_banks_replies_apply(sshd: SshServer, exchange: BankSimulator) -> None:
    # given: two new mandates, one verified mandate to cancel and one whose limit changes
    bank = make_bank(server=sshd)
    accepted, refused = new_mandate(bank, 1), new_mandate(bank, 2)
    _invoice, cancelling = make_debtor(bank=bank, index=3)
    _invoice, changing = make_debtor(bank=bank, index=4, limit_amount=5000)
    services.mandate_request_cancel(mandate=cancelling)
    services.mandate_request_change(mandate=changing, limit_amount=9000, end_date=datetime.date(2030, 12, 31))
    # when: the mandate file is sent
    sent = services.mandate_files_send(bank=bank, on=ON, actor="system")
    # then: one file, renamed from its temporary name, verified, holding all four requests
    assert [transfer.file_name for transfer in sent] == ["ACHP02_8220901_01150804_000001.enc"]
    assert sent[0].delivered_at is not None
    assert sorted(path.name for path in sshd.upload_dir.iterdir()) == ["ACHP02_8220901_01150804_000001.enc"]
    request = exchange.open_submission(exchange.mandate_requests()[0])
    assert [(d["admark"], d["cno"], d["limit"], d["enddate"]) for d in request.details] == [
        ("A", "N0001", 8000, None),
        ("A", "N0002", 8000, None),
        ("D", cancelling.customer_number, None, None),
        ("M", changing.customer_number, 9000, 1191231),
    ]
    assert Mandate.objects.filter(request_file=sent[0]).count() == 4
    assert AuditRecord.objects.filter(action="mandate_file.uploaded").count() == 1
    # nothing new waits, so sending again sends nothing
    assert services.mandate_files_send(bank=bank, on=ON) == []
    # when: the bank refuses the second (2: no such account) and accepts the rest
    exchange.answer_mandates(exchange.mandate_requests()[0], replies={2: "2"})
    results = services.mandate_replies_fetch(bank=bank)
    # then
    assert [result.counts for result in results] == [{"accepted": 3, "refused": 1, "unmatched": 0}]
    for mandate in (accepted, refused, cancelling, changing):
        mandate.refresh_from_db()
    assert (accepted.status, accepted.reply_code, accepted.verified_at is not None) == (
        MandateStatus.VERIFIED,
        "0",
        True,
    )
    assert (refused.status, refused.reply_code, refused.reply_text) == (
        MandateStatus.REJECTED,
        "2",
        "no such account",
    )
    assert cancelling.status == MandateStatus.CANCELLED
    assert (changing.status, changing.limit_amount, changing.end_date) == (
        MandateStatus.VERIFIED,
        9000,
        datetime.date(2030, 12, 31),
    )
    assert {m.pending_action for m in (accepted, refused, cancelling, changing)} == {MandateAction.NONE}
    assert AuditRecord.objects.filter(action="mandate.reply").count() == 6  # 2 debtors' set-up + 4 replies
    # the same reply file is never applied twice, and the returns fetch leaves it alone
    assert services.mandate_replies_fetch(bank=bank) == []
    assert tasks.fetch_bank_returns(bank.pk) == []
    assert not TransferFile.objects.filter(direction=Direction.INCOMING, kind=codec.ACHR01).exists()


def test_a_refused_change_keeps_the_old_terms_and_a_cancelled_mandate_is_not_debited(
    sshd: SshServer, exchange: BankSimulator, office_clerk
) -> None:
    bank = make_bank(server=sshd)
    _invoice, changing = make_debtor(bank=bank, index=5, limit_amount=5000)
    cancelled_invoice, cancelling = make_debtor(bank=bank, index=6)
    services.mandate_request_change(mandate=changing, limit_amount=20000, end_date=None)
    services.mandate_request_cancel(mandate=cancelling)
    # a request already waiting can't be stacked with another
    with pytest.raises(ValidationError) as raised:
        services.mandate_request_cancel(mandate=changing)
    assert "status" in raised.value.message_dict
    services.mandate_files_send(bank=bank, on=ON)
    exchange.answer_mandates(exchange.mandate_requests()[0], replies={1: "9"})
    services.mandate_replies_fetch(bank=bank)
    changing.refresh_from_db()
    cancelling.refresh_from_db()
    assert (changing.status, changing.limit_amount, changing.reply_code) == (MandateStatus.VERIFIED, 5000, "9")
    assert changing.note == "ACHP02 M refused (9: other)"
    assert cancelling.status == MandateStatus.CANCELLED
    result = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk)
    assert (cancelled_invoice.number, "no verified mandate") in result.skipped


def test_an_upload_that_fails_is_sent_again_as_the_same_file(
    tmp_path: Path, bank_keys: BankKeyMaterial, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_sshd(tmp_path / "sshd") as server:
        monkeypatch.setenv(
            bank_secrets.bank_secret_name(bank_keys.reference, bank_secrets.SFTP_KEY), server.client_private_key
        )
        bank_secrets.secrets.clear()
        bank = make_bank(server=server)
        new_mandate(bank, 7)
        # given: the bank's server is down
        server.stop()
        with pytest.raises(TransportError):
            services.mandate_files_send(bank=bank, on=ON, client=services.bank_client(bank, max_attempts=1))
        transfer = TransferFile.objects.get(kind=codec.ACHP02, direction=Direction.OUTGOING)
        assert transfer.delivered_at is None
        assert AuditRecord.objects.filter(action="mandate_file.upload_failed").count() == 1
        # when: it is back, the same file goes (no second file for the same requests)
        server.start()
        sent = services.mandate_files_send(bank=bank, on=ON)
        assert [t.pk for t in sent] == [transfer.pk]
        assert (server.upload_dir / transfer.file_name).read_bytes() == bytes(transfer.sealed_content)
        assert TransferFile.objects.filter(kind=codec.ACHP02, direction=Direction.OUTGOING).count() == 1


def test_a_reply_file_uploaded_by_hand_in_admin(sshd: SshServer, exchange: BankSimulator, client, office_clerk) -> None:
    bank = make_bank(server=sshd)
    mandate = new_mandate(bank, 8)
    transfer = services.mandate_file_prepare(bank=bank, on=ON)
    plain = services.transfer_file_plain(transfer=transfer)
    reply = codec.parse_file(plain).file
    reply.details[0]["reply"] = "0"
    client.force_login(office_clerk)
    # a file that is not ACHP02 is refused on the file field, and nothing changes
    response = client.post(
        "/admin/banking/mandate/import-replies/",
        {"bank": bank.pk, "file": SimpleUploadedFile("reply.txt", b"not a file\r\n")},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.PENDING
    # the real reply applies
    response = client.post(
        "/admin/banking/mandate/import-replies/",
        {"bank": bank.pk, "file": SimpleUploadedFile("ACHP02R_by_hand.txt", codec.write_file(reply))},
    )
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert (mandate.status, mandate.reply_code, mandate.pending_action) == (MandateStatus.VERIFIED, "0", "")
    # the list shows the bank's reply, filtered by status
    response = client.get("/admin/banking/mandate/", {"status__exact": "verified"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mandate]
    assert "0 success" in response.content.decode()
    assert AuditRecord.objects.filter(action="mandate_replies.imported", actor=office_clerk.username).count() == 1


def test_a_change_requested_in_admin_names_the_bad_field(sshd: SshServer, exchange, client, office_clerk) -> None:
    bank = make_bank(server=sshd)
    _invoice, mandate = make_debtor(bank=bank, index=9, limit_amount=5000)
    client.force_login(office_clerk)
    url = f"/admin/banking/mandate/{mandate.pk}/change-request/"
    response = client.post(url, {"limit_amount": "5000", "end_date": ""})
    assert "limit_amount" in response.context["form"].errors
    mandate.refresh_from_db()
    assert (mandate.pending_action, mandate.requested_limit_amount, mandate.limit_amount) == ("", None, 5000)
    response = client.post(url, {"limit_amount": "7000", "end_date": ""})
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert (mandate.pending_action, mandate.requested_limit_amount, mandate.limit_amount) == ("M", 7000, 5000)


def test_the_ach_mandates_command_sends_and_imports(sshd: SshServer, exchange: BankSimulator, capsys) -> None:
    bank = make_bank(server=sshd)
    mandate = new_mandate(bank, 10)
    call_command("ach_mandates", "send", "--bank", bank.code)
    assert "Delivered ACHP02_8220901_" in capsys.readouterr().out
    exchange.answer_mandates(exchange.mandate_requests()[0], replies={1: "B"})
    call_command("ach_mandates", "import", "--bank", bank.code)
    assert "0 accepted, 1 refused, 0 unmatched" in capsys.readouterr().out
    mandate.refresh_from_db()
    assert (mandate.status, mandate.reply_text) == (MandateStatus.REJECTED, "customer number wrong")
    with pytest.raises(CommandError, match="--bank"):
        call_command("ach_mandates", "send", "--bank", "000")


def test_the_beat_windows_send_requests_and_fetch_replies_per_bank(sshd: SshServer, exchange: BankSimulator) -> None:
    from luckygas.celery import app

    bank = make_bank(server=sshd)
    idle_bank = make_bank(server=sshd, code="812", sending_unit="8120012")
    mandate = new_mandate(bank, 11)
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the windows fan out with .delay(); run those here
    try:
        # only the bank with a waiting request gets a task
        assert tasks.mandate_window() == [bank.pk]
        assert idle_bank.pk not in tasks.mandate_replies_window()
        exchange.answer_mandates(exchange.mandate_requests()[0], replies={})
        assert tasks.mandate_replies_window() == [bank.pk]
    finally:
        app.conf.task_always_eager = before
    mandate.refresh_from_db()
    assert (mandate.status, mandate.pending_action, mandate.request_file) == (MandateStatus.VERIFIED, "", None)
    assert tasks.mandate_replies_window() == []  # nothing is waiting for a reply any more
