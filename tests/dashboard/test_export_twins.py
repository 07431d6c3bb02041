"""Every PDF export carries every value of its Excel twin, whole (no ellipsis, no separators in
order numbers, headers not cut), for every report and every audience that may export it.

The reports come from the registry (`dashboard.exports.REPORTS`), so a new report is covered
without being listed. The data is made to be hard to print: long Chinese and Latin names, amounts
in the millions, order numbers past 1,000, invoice numbers of 20 characters, rows over pages.
"""

import datetime
import re
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation
from pypdf import PdfReader

from dashboard.exports import REPORTS
from dashboard.metrics import Period
from dashboard.services import report_write_file
from luckygas.delivery.models import Order, OrderStatus
from tests.dashboard.helpers import delivered_order_at, taipei
from tests.delivery.factories import CustomerFactory, InvoiceFactory, OrderFactory

DAY = datetime.date(2026, 11, 9)
LONG_NAME = "福氣小吃店（信義區松仁路二段一百二十三巷四十五弄）Lucky Noodle House & Bar"
CASES = sorted((name, audience) for name, report in REPORTS.items() for audience in report.audiences)


@pytest.fixture
def hard_to_print_day(db, django_capture_on_commit_callbacks):
    for index in range(6):
        customer = CustomerFactory(short_name=f"{LONG_NAME}{index}", code=f"C9{index:05d}")
        delivered_order_at(
            taipei(2026, 11, 9, 8 + index, 7 * index), customer=customer, capture=django_capture_on_commit_callbacks
        )
    for index in range(70):
        OrderFactory(pk=100_000 + index, delivery_date=DAY, customer=CustomerFactory(short_name=f"王小明瓦斯行{index}"))
    Order.objects.filter(pk=100_001).update(total_amount=12_345_678, status=OrderStatus.CONFIRMED)
    for index in range(40):
        InvoiceFactory(
            number=f"INV-202611-{index:09d}",
            issue_date=DAY,
            amount=1_234_567 + index,
            customer=CustomerFactory(short_name=f"{LONG_NAME}發票{index}"),
        )


def _excel_shown(path: Path) -> list[str]:
    """Every cell of every sheet, headers included, as Excel shows it with its number format."""
    shown = []
    for sheet in openpyxl.load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if value is None or value == "":
                    continue
                fmt = cell.number_format
                if isinstance(value, datetime.datetime):
                    shown.append(value.strftime("%Y/%m/%d %H:%M" if "hh" in fmt else "%Y/%m/%d"))
                elif isinstance(value, datetime.date):
                    shown.append(value.strftime("%Y/%m/%d"))
                elif isinstance(value, float) and fmt.endswith("%"):
                    shown.append(f"{value:.1%}")
                elif isinstance(value, int) and fmt == "#,##0":
                    shown.append(f"{value:,}")
                else:
                    shown.append(str(value))
    return shown


def _squeezed(text: str) -> str:
    # A value wrapped onto two lines comes back from the PDF with a line break inside it.
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(("report_name", "audience"), CASES)
@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_the_pdf_carries_every_value_of_its_excel_twin(hard_to_print_day, tmp_path, report_name, audience, language):
    # given: both files of one report, one period, one audience
    period = Period(DAY, DAY)
    paths = {fmt: tmp_path / f"{report_name}.{fmt}" for fmt in ("xlsx", "pdf")}
    with translation.override(language):
        for fmt, path in paths.items():
            report_write_file(report_name=report_name, period=period, audience=audience, export_format=fmt, path=path)

    # when
    pdf_text = _squeezed("".join(page.extract_text() for page in PdfReader(paths["pdf"]).pages))
    expected = Counter(_squeezed(value) for value in _excel_shown(paths["xlsx"]))

    # then: each value is in the PDF whole, as often as in Excel
    missing = {value: count for value, count in expected.items() if pdf_text.count(value) < count}
    assert missing == {}
    assert "…" not in pdf_text
    assert len(expected) > 3


def test_order_numbers_print_without_thousands_separators(hard_to_print_day, tmp_path):
    path = tmp_path / "orders.pdf"
    report_write_file(report_name="orders", period=Period(DAY, DAY), audience="admin", export_format="pdf", path=path)
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert "100001" in text
    assert "100,001" not in text
