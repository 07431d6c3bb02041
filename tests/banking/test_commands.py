"""The operators' commands: ach_build, ach_parse and ach_import_returns."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from banking import codec
from banking.models import BatchStatus, CollectionBatch
from tests.banking.factories import make_bank, make_batch, make_debtor

pytestmark = pytest.mark.django_db
GOLDEN = Path(__file__).parent / "golden"


def test_ach_build_writes_the_file_of_a_draft_batch(bank, office_clerk, tmp_path: Path, capsys) -> None:
    make_debtor(bank=bank, index=1, amount=1500)
    make_debtor(bank=bank, index=2, amount=2500)
    out = tmp_path / "achp01.txt"
    call_command("ach_build", "--date", timezone.localdate().isoformat(), "--out", str(out), "--user", "clerk")
    parsed = codec.parse_file(out.read_bytes())
    assert parsed.errors == []
    assert [detail["amt"] for detail in parsed.file.details] == [1500, 2500]
    batch = CollectionBatch.objects.get()
    assert batch.status == BatchStatus.DRAFT
    assert batch.prepared_by == office_clerk
    assert "needs approval by another user" in capsys.readouterr().out


def test_ach_build_refuses_a_bad_date_and_an_unknown_bank(bank, office_clerk, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--date"):
        call_command("ach_build", "--date", "2026-13-01", "--out", str(tmp_path / "x"), "--user", "clerk")
    with pytest.raises(CommandError, match="--bank: no active bank"):
        call_command(
            "ach_build", "--bank", "999", "--date", "2026-12-01", "--out", str(tmp_path / "x"), "--user", "clerk"
        )
    make_bank(code="812", sending_unit="8120012")
    with pytest.raises(CommandError, match="--bank is required: 2 active banks"):
        call_command("ach_build", "--date", "2026-12-01", "--out", str(tmp_path / "x"), "--user", "clerk")
    assert not CollectionBatch.objects.exists()


def test_ach_parse_prints_the_records_masked(capsys) -> None:
    call_command("ach_parse", str(GOLDEN / "achp01_two_debits.txt"))
    out = capsys.readouterr().out
    assert "ACHP01  date 01150804  sending unit 8220901" in out
    assert "****7890" in out
    assert "1234567890" not in out
    assert "LG000000000002" in out
    assert "valid, 2 detail records" in out


def test_ach_parse_lists_every_error_with_line_and_field(tmp_path: Path, capsys) -> None:
    lines = (GOLDEN / "achp01_two_debits.txt").read_bytes().split(b"\r\n")
    lines[1] = lines[1][:60] + b"000000190." + lines[1][70:]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\r\n".join(lines))
    with pytest.raises(CommandError, match="error"):
        call_command("ach_parse", str(bad))
    assert "error: line 2, field detail.amt: '000000190.' is not numeric" in capsys.readouterr().err


def test_ach_import_returns_reconciles_a_batch(bank, office_clerk, manager, tmp_path: Path, capsys) -> None:
    from banking import services

    make_debtor(bank=bank, index=1, amount=1000)
    today = timezone.localdate()
    batch = make_batch(
        bank=bank, prepared_by=office_clerk, approved_by=manager, until=BatchStatus.UPLOADED, case_number="P-1"
    )
    empty_returns = codec.build_returns(
        submission=codec.parse_file(services.batch_build_plain_file(batch=batch)).file,
        processing_date=today + datetime.timedelta(days=1),
        previous_business_day=today,
        returned={},
    )
    path = tmp_path / "ACHR01_empty.txt"
    path.write_bytes(empty_returns)
    call_command("ach_import_returns", "--bank", "822", str(path))
    assert "0 returns matched, 0 unmatched, batches #" in capsys.readouterr().out
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SETTLED
    assert batch.items.get().invoice.status == "paid"
