"""The operator's paths that ended in a traceback: a missing key, a holiday date, a return file renamed."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from banking import calendar, codec, services
from banking import secrets as bank_secrets
from banking.demo import demo_bank_keys_ensure
from banking.models import AuditRecord, BatchStatus, BusinessDayOverride, CollectionBatch, ReturnRecord, TransferFile
from tests.banking.factories import make_bank, make_batch, make_debtor

pytestmark = pytest.mark.django_db
FILE_KEY_NAME = "LUCKYGAS_TESTBANK_FILE_KEY"


@pytest.fixture
def without_file_key(bank_keys, monkeypatch: pytest.MonkeyPatch) -> str:
    value = bank_keys.environment()[FILE_KEY_NAME]
    monkeypatch.delenv(FILE_KEY_NAME)
    bank_secrets.secrets.clear()
    return value


def _approved_batch(bank, office_clerk, manager) -> CollectionBatch:
    make_debtor(bank=bank, index=1, amount=1200)
    return make_batch(bank=bank, prepared_by=office_clerk, approved_by=manager, until=BatchStatus.APPROVED)


def test_a_missing_file_key_names_the_secret_leaves_the_batch_approved_and_the_retry_succeeds(
    bank, office_clerk, manager, without_file_key, monkeypatch
) -> None:
    # given an approved batch whose file could not be generated (the approval's task met no key)
    batch = _approved_batch(bank, office_clerk, manager)
    assert batch.status == BatchStatus.APPROVED
    # when the operator retries by hand, still without the key
    with pytest.raises(services.BankKeyMissingError) as refused:
        services.batch_generate_file(batch=batch, actor=manager)
    # then the refusal names the secret and nothing changed
    assert refused.value.message_dict["key_reference"] == [
        f"銀行 822 的密鑰 {FILE_KEY_NAME} 尚未設定：請設定它（或 {FILE_KEY_NAME}_FILE，或檔案 "
        f"$BANKING_SECRETS_DIR/{FILE_KEY_NAME}）後再試一次。"
    ]
    assert refused.value.secret_name == FILE_KEY_NAME
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED
    assert not TransferFile.objects.exists()
    assert not AuditRecord.objects.filter(action="file.generated").exists()
    # when the key is configured, the same step succeeds
    monkeypatch.setenv(FILE_KEY_NAME, without_file_key)
    transfer = services.batch_generate_file(batch=batch, actor=manager)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.GENERATED
    assert transfer.batch_id == batch.pk


def test_approving_and_generating_in_admin_without_the_key_are_messages_not_500s(
    bank, office_clerk, admin_user, without_file_key, monkeypatch
) -> None:
    make_debtor(bank=bank, index=1, amount=1200)
    batch = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk).batch
    client = Client()
    client.force_login(admin_user)
    changelist = reverse("admin:banking_collectionbatch_changelist")

    response = client.post(changelist, {"action": "approve", "_selected_action": [batch.pk]}, follow=True)

    assert response.status_code == 200
    texts = [str(message) for message in response.context["messages"]]
    assert f"銀行 822：在設定 {FILE_KEY_NAME} 之前無法產生檔案；批次維持已核准，設定後請使用「立即產生檔案」。" in texts
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED

    response = client.post(changelist, {"action": "generate_file", "_selected_action": [batch.pk]}, follow=True)

    assert response.status_code == 200
    texts = [str(message) for message in response.context["messages"]]
    assert any(text.startswith(f"#{batch.pk}: ") and FILE_KEY_NAME in text for text in texts)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED

    monkeypatch.setenv(FILE_KEY_NAME, without_file_key)
    response = client.post(changelist, {"action": "generate_file", "_selected_action": [batch.pk]}, follow=True)
    assert response.status_code == 200
    batch.refresh_from_db()
    assert batch.status == BatchStatus.GENERATED
    generated = codec.parse_file(services.transfer_file_plain(transfer=TransferFile.objects.get(batch=batch))).file
    assert [detail["amt"] for detail in generated.details] == [1200]


def test_ach_import_returns_without_the_key_is_a_command_error_naming_it(
    bank, without_file_key, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "ACHR01_x.txt"
    path.write_bytes(b"anything")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("ach_import_returns", "--bank", "822", str(path))
    assert f"error: 銀行 822 的密鑰 {FILE_KEY_NAME} 尚未設定" in capsys.readouterr().err
    assert not TransferFile.objects.exists()


def _next_sunday() -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=(6 - today.weekday()) or 7)


def test_ach_build_refuses_a_sunday_naming_the_next_business_day(bank, office_clerk, tmp_path: Path) -> None:
    sunday = _next_sunday()
    make_debtor(bank=bank, index=1, amount=1200, due_date=sunday)
    out = tmp_path / "achp01.txt"
    expected = calendar.next_business_day(sunday)
    with pytest.raises(CommandError) as refused:
        call_command("ach_build", "--date", sunday.isoformat(), "--out", str(out), "--user", "clerk")
    assert str(refused.value) == (
        f"collection_date: {sunday.isoformat()} 不是銀行 822 的營業日（週末、假日或已過的日期）；"
        f"下一個可用的扣款日是 {expected.isoformat()}。"
    )
    assert not out.exists()
    assert not CollectionBatch.objects.exists()


def test_ach_build_refuses_a_weekday_holiday(bank, office_clerk, tmp_path: Path) -> None:
    holiday = calendar.next_business_day(timezone.localdate())
    BusinessDayOverride.objects.update_or_create(
        date=holiday, defaults={"is_business_day": False, "reason": "test holiday"}
    )
    make_debtor(bank=bank, index=1, amount=1200, due_date=holiday)
    with pytest.raises(CommandError, match=f"{holiday.isoformat()} 不是銀行 822 的營業日"):
        call_command("ach_build", "--date", holiday.isoformat(), "--out", str(tmp_path / "x"), "--user", "clerk")
    assert not CollectionBatch.objects.exists()


def test_the_ach_build_file_and_the_file_sent_are_byte_identical(bank, office_clerk, manager, tmp_path: Path) -> None:
    make_debtor(bank=bank, index=1, amount=1500)
    make_debtor(bank=bank, index=2, amount=2500)
    out = tmp_path / "achp01.txt"
    call_command(
        "ach_build",
        "--date",
        timezone.localdate().isoformat(),
        "--out",
        str(out),
        "--user",
        "clerk",
        stdout=io.StringIO(),
    )
    batch = CollectionBatch.objects.get()
    services.batch_approve(batch=batch, approver=manager)
    services.batch_generate_file(batch=batch, actor=manager)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.GENERATED
    sent = services.transfer_file_plain(transfer=batch.files.get())
    assert sent == out.read_bytes()


def test_a_return_file_imported_again_under_another_name_is_refused_and_changes_nothing(
    bank, office_clerk, manager, tmp_path: Path, capsys
) -> None:
    batch = _approved_batch(bank, office_clerk, manager)
    services.batch_generate_file(batch=batch, actor=manager)
    services.batch_mark_uploaded_manually(batch=batch, actor=office_clerk, case_number="P-1")
    today = timezone.localdate()
    returns = codec.build_returns(
        submission=codec.parse_file(services.batch_build_plain_file(batch=batch)).file,
        processing_date=today + datetime.timedelta(days=1),
        previous_business_day=today,
        returned={1: "03"},
    )
    first = tmp_path / "ACHR01_first.txt"
    first.write_bytes(returns)
    call_command("ach_import_returns", "--bank", "822", str(first), stdout=io.StringIO())
    records = ReturnRecord.objects.count()
    files = TransferFile.objects.count()
    audit = AuditRecord.objects.count()
    renamed = tmp_path / "ACHR01_renamed.txt"
    renamed.write_bytes(returns)

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("ach_import_returns", "--bank", "822", str(renamed))

    err = capsys.readouterr().err
    assert err.startswith("error: 此檔案內容與 ")
    assert err.endswith(" 匯入的 ACHR01_first.txt 相同；未重複匯入。\n")
    assert ReturnRecord.objects.count() == records
    assert ReturnRecord.objects.filter(item__isnull=True).count() == 0
    assert TransferFile.objects.count() == files
    # only the key use of the refused attempt is recorded
    assert list(AuditRecord.objects.order_by("pk").values_list("action", flat=True)[audit:]) == ["key.used"]


def test_the_database_refuses_a_second_return_file_with_the_same_content(bank) -> None:
    from django.db import IntegrityError, transaction

    fields = {"bank": bank, "direction": "incoming", "kind": codec.ACHR01, "size": 1, "sha256": "a" * 64}
    fields |= {"sealed_size": 1, "sealed_sha256": "b" * 64, "sealed_content": b"x"}
    TransferFile.objects.create(file_name="one", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferFile.objects.create(file_name="two", **fields)
    assert list(TransferFile.objects.values_list("file_name", flat=True)) == ["one"]


def test_seed_demo_writes_development_keys_only_under_debug(settings, tmp_path: Path) -> None:
    settings.BANKING_DEVELOPMENT_SECRETS_DIR = tmp_path / "keys"
    demo_bank = make_bank(key_reference="DEMOX")
    out = io.StringIO()

    settings.DEBUG = False
    demo_bank_keys_ensure(bank=demo_bank, stdout=out)
    assert not (tmp_path / "keys").exists()
    assert "DJANGO_DEBUG is off, so no development keys: configure LUCKYGAS_DEMOX_FILE_KEY" in out.getvalue()

    settings.DEBUG = True
    demo_bank_keys_ensure(bank=demo_bank, stdout=out)
    names = sorted(path.name for path in (tmp_path / "keys").iterdir())
    assert names == ["LUCKYGAS_DEMOX_FILE_KEY", "LUCKYGAS_DEMOX_SFTP_KEY", "LUCKYGAS_DEMOX_SIGNING_KEY"]
    assert "DEVELOPMENT keys for the demo bank written to" in out.getvalue()
    file_key = (tmp_path / "keys" / "LUCKYGAS_DEMOX_FILE_KEY").read_text()
    # the loader finds them under debug only, and a second seeding keeps them
    assert services.bank_missing_secrets(demo_bank) == []
    demo_bank_keys_ensure(bank=demo_bank, stdout=out)
    assert (tmp_path / "keys" / "LUCKYGAS_DEMOX_FILE_KEY").read_text() == file_key
    bank_secrets.secrets.clear()
    settings.DEBUG = False
    assert services.bank_missing_secrets(demo_bank) == ["LUCKYGAS_DEMOX_FILE_KEY", "LUCKYGAS_DEMOX_SIGNING_KEY"]
    bank_secrets.secrets.clear()
