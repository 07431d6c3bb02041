import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard.live import mark_dirty
from dashboard.metrics import METRICS
from dashboard.services import rollup_rebuild


class Command(BaseCommand):
    help = "Recompute the dashboard's daily rollups from the orders (after bulk loads such as seed_demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", help="first day (YYYY-MM-DD, Asia/Taipei); default: every day")
        parser.add_argument("--end", help="last day (YYYY-MM-DD, Asia/Taipei); default: every day")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            start = datetime.date.fromisoformat(options["start"]) if options["start"] else None
            end = datetime.date.fromisoformat(options["end"]) if options["end"] else None
        except ValueError as error:
            raise CommandError("--start and --end take dates as YYYY-MM-DD.") from error
        if start and end and start > end:
            raise CommandError("--start must not be after --end.")
        started = time.monotonic()
        days = rollup_rebuild(start=start, end=end)
        mark_dirty(*METRICS)
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {days:,} daily rollups in {time.monotonic() - started:.1f}s."))
