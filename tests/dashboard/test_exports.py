"""PDF (WeasyPrint, Noto Sans CJK TC) and Excel (openpyxl write-only) exports, direct and as jobs."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from dashboard.metrics import ADMIN, Period
from dashboard.models import ExportJob, ExportStatus
from dashboard.services import report_write_file
from dashboard.tasks import export_run
from luckygas.delivery.models import Order, OrderStatus
from tests.dashboard.helpers import delivered_order_at, taipei
from tests.delivery.factories import CustomerFactory

DAY = datetime.date(2026, 11, 9)


@pytest.fixture
def chinese_customer_order(db, django_capture_on_commit_callbacks):
    customer = CustomerFactory(short_name="福氣小吃店", code="C900001")
    return delivered_order_at(
        taipei(2026, 11, 9, 10, 30), customer=customer, capture=django_capture_on_commit_callbacks
    )


def test_pdf_embeds_noto_cjk_and_its_chinese_text_extracts_back(chinese_customer_order, tmp_path):
    path = tmp_path / "customers.pdf"
    report_write_file(report_name="customers", period=Period(DAY, DAY), audience=ADMIN, export_format="pdf", path=path)
    reader = PdfReader(path)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "福氣小吃店" in text
    assert "幸福氣體" in text  # the company header
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/DescendantFonts")
            fonts.add(str(font["/BaseFont"]))
            if descriptor:
                assert descriptor[0].get_object()["/FontDescriptor"].get_object().get("/FontFile3") or descriptor[
                    0
                ].get_object()["/FontDescriptor"].get_object().get("/FontFile2")
    assert any("Noto-Sans-CJK-TC" in name for name in fonts), fonts
    # A4, landscape: the hour-by-weekday table has 25 columns
    box = reader.pages[0].mediabox
    assert (box.width, box.height) == (pytest.approx(841.89, abs=1), pytest.approx(595.28, abs=1))


def test_excel_rows_each_keep_their_own_order_values(db, django_capture_on_commit_callbacks, tmp_path):
    # given three orders of the same day, placed at different times by different customers
    orders = [
        delivered_order_at(
            taipei(2026, 11, 9, hour, 3 * hour),
            customer=CustomerFactory(short_name=f"福氣小吃店{hour}", code=f"C9100{hour:02d}"),
            capture=django_capture_on_commit_callbacks,
        )
        for hour in (8, 12, 19)
    ]
    path = tmp_path / "orders.xlsx"

    # when they are exported
    written = report_write_file(
        report_name="orders", period=Period(DAY, DAY), audience=ADMIN, export_format="xlsx", path=path
    )

    # then every row holds its own order (cells of a column are written one row at a time)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert written == 3
    assert rows == [
        [
            order.pk,
            taipei(2026, 11, 9, 0, 0).replace(tzinfo=None),
            taipei(2026, 11, 9, hour, 3 * hour).replace(tzinfo=None),
            f"C9100{hour:02d}",
            f"福氣小吃店{hour}",
            "已送達",
            order.get_payment_method_display(),
            order.total_amount,
        ]
        for order, hour in zip(orders, (8, 12, 19), strict=True)
    ]
    assert {sheet.cell(row=index, column=3).number_format for index in (2, 3, 4)} == {"yyyy/mm/dd hh:mm"}


def test_excel_cells_have_real_types_a_frozen_header_and_widths(chinese_customer_order, tmp_path):
    path = tmp_path / "orders.xlsx"
    report_write_file(report_name="orders", period=Period(DAY, DAY), audience=ADMIN, export_format="xlsx", path=path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["E"].width == 22
    header = [cell.value for cell in sheet[1]]
    assert header[0] == "訂單編號"
    row = sheet[2]
    assert row[0].value == chinese_customer_order.pk
    assert row[0].data_type == "n"
    assert row[1].is_date
    assert row[1].value == taipei(2026, 11, 9, 0, 0).replace(tzinfo=None)
    assert row[2].is_date
    assert row[2].value == taipei(2026, 11, 9, 10, 30).replace(tzinfo=None)
    assert row[4].value == "福氣小吃店"
    assert row[7].value == 950
    assert row[7].number_format == "#,##0"


def test_a_small_export_downloads_at_once(client, manager, chinese_customer_order):
    client.force_login(manager)
    response = client.get(
        reverse("dashboard:export", args=["orders", "xlsx"]), {"start": "2026-11-09", "end": "2026-11-09"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="luckygas-orders-20261109-20261109.xlsx"'
    assert not ExportJob.objects.exists()


def test_a_bad_export_period_is_refused_naming_the_field(client, manager):
    client.force_login(manager)
    response = client.get(reverse("dashboard:export", args=["orders", "xlsx"]), {"start": "2026-13-01"})
    assert response.status_code == 400
    assert response.content.decode().startswith("start:")


def test_a_manager_cannot_export_finance(client, manager):
    client.force_login(manager)
    assert client.get(reverse("dashboard:export", args=["finance", "pdf"])).status_code == 403


def test_a_large_export_runs_as_a_job_with_progress_and_a_download_link(client, manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customer = CustomerFactory()
    Order.objects.bulk_create(
        Order(customer=customer, delivery_date=DAY, payment_method="cash", total_amount=950, status=OrderStatus.PENDING)
        for _index in range(5001)
    )
    client.force_login(manager)
    # when the export is asked for
    response = client.get(
        reverse("dashboard:export", args=["orders", "xlsx"]), {"start": "2026-11-09", "end": "2026-11-09"}
    )
    # then a job keeps the filter and the user goes to its progress page
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:export-job", args=[job.pk])
    assert (job.filters, job.rows_total, job.status) == ({"start": "2026-11-09", "end": "2026-11-09"}, 5001, "pending")
    # the worker runs it (twice: the second delivery changes nothing)
    assert export_run(str(job.pk)) == ExportStatus.DONE
    assert export_run(str(job.pk)) == ExportStatus.DONE
    status = client.get(reverse("dashboard:api-export-job", args=[job.pk])).json()
    assert (status["status"], status["rows_done"], status["progress_percent"]) == ("done", 5001, 100)
    download = client.get(status["download_url"])
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).worksheets[0]
    assert sheet.max_row == 5002


def test_another_managers_job_is_not_found(client, manager, admin_user, settings, tmp_path):
    job = ExportJob.objects.create(requested_by=admin_user, report="orders", export_format="xlsx", filters={})
    client.force_login(manager)
    assert client.get(reverse("dashboard:api-export-job", args=[job.pk])).status_code == 404
