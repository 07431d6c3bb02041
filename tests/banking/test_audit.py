"""The audit trail is append-only and hash-chained; the verify command finds a tampered row."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from banking.audit import audit_chain_verify, audit_record_append
from banking.models import AppendOnlyError, AuditRecord

pytestmark = pytest.mark.django_db


def append_three() -> list[AuditRecord]:
    return [
        audit_record_append(action="batch.prepared", actor="clerk", bank_code="822", batch_id=1, details={"items": 3}),
        audit_record_append(action="batch.approved", actor="boss", bank_code="822", batch_id=1),
        audit_record_append(
            action="batch.uploaded", actor="system", bank_code="822", batch_id=1, file_sha256="ab" * 32
        ),
    ]


def test_records_are_chained() -> None:
    first, second, third = append_three()
    assert second.previous_hash == first.record_hash
    assert third.previous_hash == second.record_hash
    assert audit_chain_verify() == (3, [])


def test_the_orm_refuses_to_change_or_delete_records() -> None:
    record = append_three()[0]
    record.actor = "someone else"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=record.pk).update(actor="x")
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get(pk=record.pk).actor == "clerk"


def test_verify_command_passes_on_an_intact_chain(capsys: pytest.CaptureFixture[str]) -> None:
    append_three()
    call_command("ach_verify_audit")
    assert "audit chain intact: 3 records" in capsys.readouterr().out


def test_tampering_with_one_record_through_sql_is_detected(capsys: pytest.CaptureFixture[str]) -> None:
    # given
    _first, second, _third = append_three()
    # when: someone edits a row behind the ORM's back
    with connection.cursor() as cursor:
        cursor.execute("UPDATE banking_auditrecord SET actor = %s WHERE id = %s", ["intruder", second.pk])
    # then
    with pytest.raises(CommandError, match="audit chain broken: 1 problem"):
        call_command("ach_verify_audit")
    assert f"record {second.pk}: content does not match its hash (altered)" in capsys.readouterr().err


def test_deleting_a_record_through_sql_breaks_the_link(capsys: pytest.CaptureFixture[str]) -> None:
    _first, second, third = append_three()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM banking_auditrecord WHERE id = %s", [second.pk])
    with pytest.raises(CommandError):
        call_command("ach_verify_audit")
    assert f"record {third.pk}: link to the previous record is broken" in capsys.readouterr().err


def test_admin_shows_audit_records_read_only(client, admin_user) -> None:
    record = append_three()[0]
    client.force_login(admin_user)
    listing = client.get("/admin/banking/auditrecord/")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 3
    response = client.post(f"/admin/banking/auditrecord/{record.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditRecord.objects.count() == 3
