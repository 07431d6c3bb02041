"""Reports as tables, written to Excel (openpyxl write-only) or PDF (WeasyPrint).

A report is a list of `Table`s whose rows are iterators, so a 100,000-row export streams from a
server-side cursor to a write-only workbook and memory stays flat. Panel reports are built from
the same cached metric snapshots the dashboard shows; row reports (orders, reconciliation) read
the database in chunks.
"""

from dashboard.exports.reports import (
    REPORT_CHOICES,
    REPORTS,
    report_filename,
    report_has_rows,
    report_row_count,
)
from dashboard.exports.tables import (
    ASYNC_ROW_THRESHOLD,
    CHUNK,
    DATE,
    DATETIME,
    INTEGER,
    MONEY,
    PDF_ROW_LIMIT,
    PERCENT,
    TEXT,
    Column,
    Report,
    Table,
)
from dashboard.exports.writers import CONTENT_TYPES, WRITERS, write_pdf, write_xlsx

__all__ = [
    "ASYNC_ROW_THRESHOLD",
    "CHUNK",
    "CONTENT_TYPES",
    "DATE",
    "DATETIME",
    "INTEGER",
    "MONEY",
    "PDF_ROW_LIMIT",
    "PERCENT",
    "REPORTS",
    "REPORT_CHOICES",
    "TEXT",
    "WRITERS",
    "Column",
    "Report",
    "Table",
    "report_filename",
    "report_has_rows",
    "report_row_count",
    "write_pdf",
    "write_xlsx",
]
