"""Writers: Excel (openpyxl write-only, typed cells) and PDF (WeasyPrint, A4, Noto Sans CJK TC)."""

import datetime
import zoneinfo
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from dashboard.exports.tables import (
    CHUNK,
    DATE,
    DATETIME,
    IDENTIFIER,
    INTEGER,
    MONEY,
    NUMERIC_KINDS,
    PDF_ROW_LIMIT,
    PERCENT,
    ProgressCallback,
    Table,
)
from dashboard.metrics import Period


def _excel_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        # Excel has no time zones: write the Asia/Taipei wall-clock time.
        return value.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)
    return value


EXCEL_FORMATS = {
    MONEY: "#,##0",
    INTEGER: "#,##0",
    IDENTIFIER: "0",
    DATE: "yyyy/mm/dd",
    DATETIME: "yyyy/mm/dd hh:mm",
    PERCENT: "0.0%",
}
# Column widths are in Excel's character units. Up to this many a table fits A4 portrait with
# every value whole; a wider report is printed landscape (and its long values wrap, never cut).
PORTRAIT_WIDTH_UNITS = 100


def write_xlsx(
    tables: list[Table], path: Path, *, title: str, period: Period, progress: ProgressCallback | None = None
) -> int:
    """Write one sheet per table with typed cells, a frozen header and column widths. Returns rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    styles = {}
    for kind, number_format in EXCEL_FORMATS.items():
        style = NamedStyle(name=f"luckygas_{kind}", number_format=number_format)
        workbook.add_named_style(style)
        styles[kind] = style.name
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    written = 0
    used_names: set[str] = set()
    for table in tables:
        name = "".join(ch for ch in table.title if ch not in "[]:*?/\\")[:28] or "Sheet"
        while name in used_names:
            name = f"{name[:26]}_{len(used_names)}"
        used_names.add(name)
        sheet = workbook.create_sheet(title=name)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=column.label)
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(horizontal="center")
            header.append(cell)
        sheet.append(header)
        # A write-only sheet serialises each row as it is appended, so one styled cell per column
        # can carry every row's value: the number format is looked up once per column, not per cell.
        styled_cells: list[Any] = []
        for column in table.columns:
            if column.kind in styles:
                cell = WriteOnlyCell(sheet)
                cell.style = styles[column.kind]
                styled_cells.append(cell)
            else:
                styled_cells.append(None)
        for row in table.rows:
            cells = []
            for cell, value in zip(styled_cells, row, strict=True):
                if cell is None or value is None:
                    cells.append(_excel_value(value))
                else:
                    cell.value = _excel_value(value)
                    cells.append(cell)
            sheet.append(cells)
            written += 1
            if progress and written % CHUNK == 0:
                progress(written)
    workbook.properties.title = f"{title} {period.start:%Y/%m/%d}–{period.end:%Y/%m/%d}"
    workbook.properties.creator = settings.LUCKYGAS_COMPANY_NAME
    workbook.save(path)
    if progress:
        progress(written)
    return written


def pdf_cell(kind: str, value: Any) -> str:
    """A value as the PDF prints it: as its Excel twin shows it, whole."""
    if value is None:
        return ""
    if kind == MONEY:
        return f"NT${value:,}"
    if kind == INTEGER:
        return f"{value:,}"
    if kind == PERCENT:
        return f"{value:.1%}"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value, zoneinfo.ZoneInfo(settings.TIME_ZONE)).strftime("%Y/%m/%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y/%m/%d")
    return str(value)


def write_pdf(
    tables: list[Table], path: Path, *, title: str, period: Period, progress: ProgressCallback | None = None
) -> int:
    """A4 PDF with the company header; fonts named explicitly so Chinese never turns into boxes.

    Every value is printed whole: long text wraps inside its column, and a report whose tables
    are too wide for portrait is printed landscape.
    """
    from weasyprint import HTML

    rendered_tables = []
    written = 0
    for table in tables:
        rows = []
        for row in table.rows:
            if written >= PDF_ROW_LIMIT:
                break
            rows.append(
                [
                    (pdf_cell(column.kind, value), column.kind in NUMERIC_KINDS)
                    for column, value in zip(table.columns, row, strict=True)
                ]
            )
            written += 1
        total_width = sum(column.width for column in table.columns) or 1
        widths = [round(100 * column.width / total_width, 2) for column in table.columns]
        rendered_tables.append({"title": table.title, "columns": table.columns, "widths": widths, "rows": rows})
        if progress:
            progress(written)
    widest = max((sum(column.width for column in table.columns) for table in tables), default=0)
    html = render_to_string(
        "dashboard/report.html",
        {
            "company": settings.LUCKYGAS_COMPANY_NAME,
            "title": title,
            "period_start": period.start,
            "period_end": period.end,
            "generated_at": timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(settings.TIME_ZONE)),
            "tables": rendered_tables,
            "landscape": widest > PORTRAIT_WIDTH_UNITS,
            "truncated": written >= PDF_ROW_LIMIT,
            "row_limit": PDF_ROW_LIMIT,
        },
    )
    HTML(string=html).write_pdf(path)
    return written


WRITERS = {"xlsx": write_xlsx, "pdf": write_pdf}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
