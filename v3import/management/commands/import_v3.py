"""`python manage.py import_v3 --source postgres://…/luckygas_v3 [--dry-run] [--only t1,t2] [--since DATETIME]`"""

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from v3import.models import RunStatus
from v3import.services import report
from v3import.services.registry import TABLES
from v3import.services.run import import_v3


class Command(BaseCommand):
    help = "Import LuckyGas v3's data (idempotent, resumable) and reconcile it; exits 1 when counts or sums disagree."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True, help="The v3 PostgreSQL database URL (read only).")
        parser.add_argument("--dry-run", action="store_true", help="Import and reconcile, then roll everything back.")
        parser.add_argument("--only", default="", help=f"Comma-separated tables, of: {', '.join(TABLES)}.")
        parser.add_argument(
            "--since", default="", help="Only rows changed since this time (ISO 8601, Asia/Taipei if no zone)."
        )
        parser.add_argument(
            "--restart", action="store_true", help="Start afresh instead of continuing an interrupted run."
        )
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--report-dir", default="build/v3-import", help="Where the exceptions CSV and Excel go.")

    def handle(self, *args: Any, **options: Any) -> None:
        only = [name.strip() for name in options["only"].split(",") if name.strip()]
        unknown = set(only) - set(TABLES)
        if unknown:
            raise CommandError(f"--only: unknown tables {', '.join(sorted(unknown))}; known: {', '.join(TABLES)}")
        since = None
        if options["since"]:
            since = parse_datetime(options["since"])
            if since is None:
                try:
                    since = datetime.datetime.combine(datetime.date.fromisoformat(options["since"]), datetime.time())
                except ValueError as error:
                    raise CommandError(f"--since: not a date or time: {options['since']!r}") from error
            if since.tzinfo is None:
                since = since.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            run = import_v3(
                source=options["source"],
                only=only,
                since=since,
                dry_run=options["dry_run"],
                restart=options["restart"],
                batch_size=options["batch_size"],
                progress=lambda message: self.stderr.write(message),
            )
        except Exception as error:
            if error.__class__.__module__.startswith("psycopg"):
                raise CommandError(f"--source: cannot read the v3 database: {error}") from error
            raise
        self.stdout.write(report.reconciliation_text(run))
        csv_path, xlsx_path = report.write_exceptions(run, Path(options["report_dir"]))
        self.stdout.write(f"exceptions: {csv_path} · {xlsx_path}")
        if run.status == RunStatus.DISAGREES or (
            run.status == RunStatus.DRY_RUN and not run.reconciliation.get("agrees")
        ):
            raise CommandError("counts or sums disagree: see the reconciliation above")
