from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from banking import codec

COLUMNS = ["type", "txtype", "txid", "seq", "rbank", "rclno", "amt", "rcode", "pid", "cno", "note"]


class Command(BaseCommand):
    help = "Print an ACHP01 / ACHR01 / ACHP02 file's records as a table, and every error with its line and field."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--show-accounts", action="store_true", help="print account numbers unmasked")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        result = codec.parse_file(path.read_bytes())
        ach_file = result.file
        if ach_file is not None:
            header = ach_file.header
            detail_spec = codec.LAYOUTS[ach_file.kind][1]
            tdate, sorg = header.get("tdate"), header.get("sorg")
            self.stdout.write(
                f"{ach_file.kind}  date {'' if tdate is None else f'{tdate:08d}'}  sending unit "
                f"{'' if sorg is None else f'{sorg:07d}'}"
            )
            columns = [column for column in COLUMNS if any(column in detail for detail in ach_file.details)] or COLUMNS
            rows = [["line", *columns]]
            for line, detail in enumerate(ach_file.details, start=2):
                if not detail:
                    continue
                values = []
                for column in columns:
                    value = detail.get(column)
                    field = detail_spec.by_name.get(column)
                    if value is None or field is None:
                        values.append("")
                    elif column in ("rclno", "pclno") and not options["show_accounts"]:
                        values.append(f"****{value % 10000:04d}")
                    elif field.kind == "9":
                        values.append(f"{value:0{field.length}d}")
                    else:
                        values.append(str(value))
                rows.append([str(line), *values])
            widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
            for row in rows:
                self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
            trailer = ach_file.trailer
            self.stdout.write(f"trailer: count {trailer.get('tcount')}  total {trailer.get('tamt', '')}")
        for error in result.errors:
            self.stderr.write(f"error: {error}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} error(s) in {path}")
        self.stdout.write(self.style.SUCCESS(f"{path}: valid, {len(ach_file.details)} detail records"))
