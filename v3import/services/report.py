"""The run's reports for people: the reconciliation as text, and the exceptions as CSV and Excel."""

import csv
from pathlib import Path

from openpyxl import Workbook

from v3import.models import ImportException, ImportRun

COLUMNS = ["table", "legacy_id", "field", "value", "reason", "is_imported"]


def reconciliation_text(run: ImportRun) -> str:
    result = run.reconciliation or {}
    lines = [f"v3 import run {run.pk}: {run.get_status_display()}"]
    lines.append(f"{'table':<20}{'v3':>10}{'imported':>10}{'not imp.':>10}{'unacc.':>8}  holds")
    for row in result.get("tables", []):
        lines.append(
            f"{row['table']:<20}{row['v3']:>10,}{row['imported']:>10,}{row['not_imported']:>10,}"
            f"{row['unaccounted']:>8,}  {'yes' if row['holds'] else 'NO'}"
        )
    for entry in result.get("sums", []):
        lines.append(
            f"{entry['name']}: v3 {entry['v3']:,} · ours {entry['ours']:,}  {'yes' if entry['holds'] else 'NO'}"
        )
    lines.extend(f"not compared, {note}" for note in result.get("not_comparable", []))
    sample = result.get("customer_sample", {})
    if sample:
        lines.append(
            f"customer master data, field by field on {sample.get('compared', 0)} sampled customers: "
            f"{len(sample.get('differences', []))} differ"
        )
        lines.extend(
            f"  v3 customer {item['legacy_id']}: {', '.join(item['fields'])}"
            for item in sample.get("differences", [])[:20]
        )
    not_read = result.get("v3_tables_not_read", [])
    if not_read:
        lines.append(
            "v3 tables not imported (check none holds what must move): "
            + ", ".join(f"{entry['table']} ({entry['rows']:,} rows)" for entry in not_read)
        )
    lines.append(f"exceptions recorded: {run.exceptions.count():,}")
    return "\n".join(lines)


def write_exceptions(run: ImportRun, directory: Path) -> tuple[Path, Path]:
    """The run's exceptions as `v3-exceptions-<run>.csv` and `.xlsx` in `directory` (written row by row)."""
    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / f"v3-exceptions-{run.pk}.csv"
    xlsx_path = directory / f"v3-exceptions-{run.pk}.xlsx"
    rows = ImportException.objects.filter(run=run).order_by("table", "legacy_id", "pk").values_list(*COLUMNS)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("exceptions")
    sheet.append(COLUMNS)
    with csv_path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows.iterator(5000):
            writer.writerow(row)
            sheet.append(list(row))
    summary = workbook.create_sheet("reconciliation")
    for line in reconciliation_text(run).splitlines():
        summary.append([line])
    workbook.save(xlsx_path)
    return csv_path, xlsx_path
