"""What a report is: tables of typed columns whose rows are iterators, and the shared limits."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dashboard.metrics import Period

TEXT, INTEGER, MONEY, DATE, DATETIME, PERCENT = "text", "integer", "money", "date", "datetime", "percent"
# A number that names something (an order number): no thousands separator, in Excel or the PDF.
IDENTIFIER = "identifier"
NUMERIC_KINDS = (INTEGER, MONEY, IDENTIFIER, PERCENT)
ASYNC_ROW_THRESHOLD = 5000
PDF_ROW_LIMIT = 20000
CHUNK = 2000


@dataclass
class Column:
    label: str
    kind: str = TEXT
    width: int = 14


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: Iterable[list[Any]]
    row_count: int | None = None


@dataclass
class Report:
    name: str
    title: Any
    audiences: tuple[str, ...]
    build: Callable[[Period, str], list[Table]]
    count_rows: Callable[[Period], int] = field(default=lambda _period: 0)


ProgressCallback = Callable[[int], None]
