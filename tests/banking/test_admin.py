"""The admin's manual path: prepare, approve (maker-checker), download, mark uploaded, upload returns, reports."""

from __future__ import annotations

import base64
import io
import os

import pytest
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from banking import calendar, codec, services
from banking import secrets as bank_secrets
from banking.models import AuditRecord, BatchStatus, BusinessDayOverride, CollectionBatch, Direction, ItemStatus
from tests.banking.factories import make_batch, make_debtor

pytestmark = pytest.mark.django_db
BASE = "/admin/banking/collectionbatch/"


def test_the_whole_manual_path_through_admin(client, bank, office_clerk, manager) -> None:
    make_debtor(bank=bank, index=1, amount=1200)
    make_debtor(bank=bank, index=2, amount=3400)
    today = timezone.localdate()
    # the clerk prepares
    client.force_login(office_clerk)
    response = client.post(f"{BASE}prepare/", {"bank": bank.pk, "collection_date": today.isoformat()})
    batch = CollectionBatch.objects.get()
    assert response.status_code == 302
    assert (batch.item_count, batch.total_amount, batch.prepared_by) == (2, 4600, office_clerk)
    # the clerk can't approve (no permission: the action is not offered)
    response = client.post(BASE, {"action": "approve", "_selected_action": [batch.pk]})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT
    # the manager approves, then generates
    client.force_login(manager)
    client.post(BASE, {"action": "approve", "_selected_action": [batch.pk]})
    client.post(BASE, {"action": "generate_file", "_selected_action": [batch.pk]})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.GENERATED
    # the clerk downloads the exact file and marks it uploaded through the portal
    client.force_login(office_clerk)
    response = client.get(f"{BASE}{batch.pk}/download/")
    plain = b"".join(response.streaming_content) if response.streaming else response.content
    assert codec.parse_file(plain).file.total_amount == 4600
    assert plain == services.transfer_file_plain(transfer=batch.files.get(direction=Direction.OUTGOING))
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="ACHP01_8220901_{codec.roc_date(today)}_{batch.pk:06d}"'
    )
    response = client.post(f"{BASE}{batch.pk}/portal/", {"case_number": ""})
    assert response.status_code == 200
    assert "case_number" in response.context["form"].errors
    batch.refresh_from_db()
    assert (batch.status, batch.bank_case_number) == (BatchStatus.GENERATED, "")
    client.post(f"{BASE}{batch.pk}/portal/", {"case_number": "PORTAL-77"})
    batch.refresh_from_db()
    assert (batch.status, batch.bank_case_number) == (BatchStatus.UPLOADED, "PORTAL-77")
    # the bank's return file, uploaded by hand
    returns = codec.build_returns(
        submission=codec.parse_file(plain).file, processing_date=today, previous_business_day=today, returned={1: "01"}
    )
    response = client.post(
        f"{BASE}import-returns/",
        {"bank": bank.pk, "file": SimpleUploadedFile("ACHR01_portal.txt", returns)},
    )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SETTLED
    assert list(batch.items.order_by("sequence").values_list("amount", "status", "return_code")) == [
        (1200, ItemStatus.RETURNED, "01"),
        (3400, ItemStatus.COLLECTED, ""),
    ]
    # the reports
    pdf = client.get(f"{BASE}{batch.pk}/report.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    text = reader.pages[0].extract_text()
    assert "PORTAL-77" in text
    fonts = {
        str(font.get_object()["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()
    }
    assert fonts
    assert all("Noto-Sans-CJK-TC" in font for font in fonts), fonts
    workbook = load_workbook(io.BytesIO(client.get(f"{BASE}{batch.pk}/report.xlsx").content))
    assert workbook.worksheets[0]["B6"].value == 4600
    # every manual step is in the audit trail, by the people who did it
    actions = set(AuditRecord.objects.values_list("action", "actor"))
    assert {("batch.prepared", "clerk"), ("batch.approved", "boss"), ("file.downloaded", "clerk")} <= actions
    assert {("batch.uploaded", "clerk"), ("returns.imported", "clerk")} <= actions


def test_a_bad_return_file_is_a_form_error_and_imports_nothing(client, bank, office_clerk) -> None:
    client.force_login(office_clerk)
    response = client.post(
        f"{BASE}import-returns/", {"bank": bank.pk, "file": SimpleUploadedFile("bad.txt", b"not an ACH file\r\n")}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not bank.files.exists()
    assert not AuditRecord.objects.filter(action="returns.imported").exists()


def test_journal_export_lists_collected_and_returned_items(client, bank, office_clerk, manager) -> None:
    make_debtor(bank=bank, index=1, amount=1000)
    make_debtor(bank=bank, index=2, amount=2000)
    today = timezone.localdate()
    batch = make_batch(
        bank=bank, prepared_by=office_clerk, approved_by=manager, until=BatchStatus.UPLOADED, case_number="X"
    )
    submission = codec.parse_file(services.batch_build_plain_file(batch=batch)).file
    services.returns_import(
        bank=bank,
        file_name="r.txt",
        data=codec.build_returns(
            submission=submission, processing_date=today, previous_business_day=today, returned={2: "01"}
        ),
        sealed=False,
    )
    client.force_login(manager)
    response = client.get(
        f"{BASE}exports/",
        {"start": today.isoformat(), "end": today.isoformat(), "file_format": "csv", "report": "journal"},
    )
    lines = response.content.decode().strip().splitlines()
    assert lines[0] == "date,batch,bank,invoice,customer,account,debit,credit,amount,memo"
    assert len(lines) == 3
    collected = [line for line in lines[1:] if ",1102 bank 822,1131 accounts receivable,1000," in line]
    returned = [line for line in lines[1:] if line.endswith("returned 01") and ",,,0," in line]
    assert len(collected) == len(returned) == 1
    # per batch, as Excel
    response = client.get(
        f"{BASE}exports/",
        {
            "start": today.isoformat(),
            "end": today.isoformat(),
            "batch": batch.pk,
            "file_format": "xlsx",
            "report": "journal",
        },
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [batch.pk, batch.pk]
    response = client.get(
        f"{BASE}exports/",
        {
            "start": today.isoformat(),
            "end": today.isoformat(),
            "batch": batch.pk + 1,
            "file_format": "csv",
            "report": "journal",
        },
    )
    assert response.content.decode().strip().splitlines()[1:] == []
    response = client.get(
        f"{BASE}exports/", {"start": today.isoformat(), "end": "2000-01-01", "file_format": "csv", "report": "journal"}
    )
    assert response.status_code == 200
    assert "end" in response.context["form"].errors
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response


def test_large_transactions_report_lists_flagged_batches(client, bank, office_clerk, manager) -> None:
    bank.large_batch_total = 2000
    bank.save()
    make_debtor(bank=bank, index=1, amount=1500)
    make_debtor(bank=bank, index=2, amount=1500)
    today = timezone.localdate()
    batch = services.batch_prepare(bank=bank, collection_date=today, prepared_by=office_clerk).batch
    services.batch_approve(batch=batch, approver=manager, acknowledge_large=True)
    client.force_login(manager)
    response = client.get(
        f"{BASE}exports/",
        {"start": today.isoformat(), "end": today.isoformat(), "file_format": "csv", "report": "large"},
    )
    lines = response.content.decode().strip().splitlines()
    assert lines[0] == "batch,bank,collection_date,items,total,reasons,prepared_by,approved_by,acknowledged"
    assert lines[1].startswith(f"{batch.pk},822,{today.isoformat()},2,3000,")
    assert lines[1].endswith(",clerk,boss,yes")
    assert "total NT$3,000 over NT$2,000" in lines[1]


def test_recording_a_verified_reply_applies_only_to_a_sent_new_mandate(client, bank, office_clerk) -> None:
    from django.contrib.messages import get_messages

    from banking.models import Mandate, MandateAction, MandateStatus
    from tests.banking.factories import make_mandate

    def new_mandate(index: int) -> Mandate:
        return make_mandate(
            bank=bank, index=index, account_number=f"66{index:08d}", customer_number=f"V{index:04d}", limit_amount=5000
        )

    # given: a verified mandate whose cancel went to the bank, a new one sent with it, a new one not sent yet
    _invoice, cancelling = make_debtor(bank=bank, index=11)
    services.mandate_request_cancel(mandate=cancelling)
    sent_new = new_mandate(12)
    services.mandate_file_prepare(bank=bank)
    unsent_new = new_mandate(13)
    # when: the clerk records "verified (0)" for all three
    client.force_login(office_clerk)
    response = client.post(
        "/admin/banking/mandate/",
        {"action": "record_verified", "_selected_action": [cancelling.pk, sent_new.pk, unsent_new.pk]},
        follow=True,
    )
    # then: only the sent new mandate is verified; each refusal names its mandate
    assert response.status_code == 200
    for mandate in (cancelling, sent_new, unsent_new):
        mandate.refresh_from_db()
    assert (sent_new.status, sent_new.pending_action, sent_new.reply_code) == (
        MandateStatus.VERIFIED,
        MandateAction.NONE,
        "0",
    )
    assert (cancelling.status, cancelling.pending_action, cancelling.reply_code) == (
        MandateStatus.VERIFIED,
        MandateAction.CANCEL,
        "0",
    )
    assert cancelling.request_file is not None
    assert (unsent_new.status, unsent_new.pending_action, unsent_new.reply_code) == (
        MandateStatus.PENDING,
        MandateAction.NEW,
        "",
    )
    shown = [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]
    errors = [text for level, text in shown if level == "error"]
    assert len(errors) == 2
    assert errors[0].startswith(f"{cancelling}: ")
    assert "此回覆對應的是「新增授權」申請，但目前待回覆的申請是「終止」。" in errors[0]
    assert errors[1].startswith(f"{unsent_new}: ")
    assert "此授權的申請尚未送交銀行，銀行不可能已回覆。" in errors[1]
    assert ("success", "已核印 1 筆授權。") in shown
    assert AuditRecord.objects.filter(action="mandate.reply").count() == 2  # the debtor's own, and sent_new's


def test_downloading_a_file_sealed_with_a_rotated_key_is_an_error_message_not_a_500(
    client, bank, office_clerk, manager, monkeypatch
) -> None:
    # given a batch whose file was sealed with the bank's file key
    make_debtor(bank=bank, index=1, amount=1200)
    client.force_login(office_clerk)
    client.post(f"{BASE}prepare/", {"bank": bank.pk, "collection_date": timezone.localdate().isoformat()})
    batch = CollectionBatch.objects.get()
    client.force_login(manager)
    client.post(BASE, {"action": "approve", "_selected_action": [batch.pk]})
    client.post(BASE, {"action": "generate_file", "_selected_action": [batch.pk]})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.GENERATED
    # when the file key is rotated and the old file is downloaded
    monkeypatch.setenv(
        bank_secrets.bank_secret_name(bank.key_reference, bank_secrets.FILE_KEY),
        base64.b64encode(os.urandom(32)).decode(),
    )
    bank_secrets.secrets.clear()
    client.force_login(office_clerk)
    response = client.get(f"{BASE}{batch.pk}/download/", follow=True)
    # then the list says why, and no download is recorded
    assert response.redirect_chain == [(BASE, 302)]
    errors = [str(message) for message in response.context["messages"] if message.level == messages.ERROR]
    assert errors == [
        f"file: 已保存的檔案 {batch.files.get().file_name} 無法以銀行 822 目前的金鑰開啟"
        "（decryption failed: wrong key, wrong file name or altered file）；金鑰輪替前產生的檔案已無法再下載。"
    ]
    assert not AuditRecord.objects.filter(action="file.downloaded").exists()


def test_prepare_form_proposes_today_in_a_date_the_browser_shows(client, bank, office_clerk) -> None:
    client.force_login(office_clerk)
    page = client.get(f"{BASE}prepare/").content.decode()
    # a localized 2026/12/05 in an <input type="date"> is shown empty and posted empty ("此為必需欄位。")
    assert f'name="collection_date" value="{timezone.localdate().isoformat()}"' in page


def test_prepare_form_on_a_holiday_proposes_the_next_business_day_and_speaks_chinese(
    client, bank, office_clerk
) -> None:
    # given today is a holiday, and one due invoice its mandate does not cover
    today = timezone.localdate()
    BusinessDayOverride.objects.update_or_create(date=today, defaults={"is_business_day": False, "reason": "颱風假"})
    over_limit, _mandate = make_debtor(bank=bank, index=1, amount=5000, limit_amount=1000)
    client.force_login(office_clerk)
    # when the clerk opens the form, then sends it with today anyway
    page = client.get(f"{BASE}prepare/").content.decode()
    refused = client.post(f"{BASE}prepare/", {"bank": bank.pk, "collection_date": today.isoformat()})
    # then the form proposed the next business day (today was always refused on a holiday) ...
    next_day = calendar.next_business_day(today)
    assert f'name="collection_date" value="{next_day.isoformat()}"' in page
    # ... the refusal sits under the date, without the field's code name
    assert refused.context["form"].errors["collection_date"] == [
        f"{today.isoformat()} 不是銀行 {bank.code} 的營業日（週末、假日或已過的日期）；"
        f"下一個可用的扣款日是 {next_day.isoformat()}。"
    ]
    assert "collection_date:" not in refused.content.decode()
    # and a skipped invoice's reason is in Chinese
    skipped = client.post(f"{BASE}prepare/", {"bank": bank.pk, "collection_date": next_day.isoformat()})
    warnings = [str(message) for message in skipped.context["messages"]]
    assert f"{over_limit.number}: 超出扣款授權的金額上限或期間" in warnings
