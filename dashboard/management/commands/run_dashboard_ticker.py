"""The dashboard's one ticker: a dedicated process, not a Celery beat task.

Why a process of its own: pushes must leave every interval (5 s) on time, while Celery workers
may be busy for minutes with a 100,000-row export or a bank upload; and beat would have to send
a task through the broker every 5 s just to wake a worker. A Redis lock keeps a single pusher
even if the process is started twice (for example during a rolling deploy).
"""

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboard.live import DEFAULT_INTERVAL, Ticker


class Command(BaseCommand):
    help = "Recompute dirty dashboard metrics and push them to connected dashboards every interval."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=DEFAULT_INTERVAL, help="seconds between pushes")
        parser.add_argument("--max-ticks", type=int, default=None, help="stop after this many ticks")

    def handle(self, *args: Any, **options: Any) -> None:
        ticker = Ticker(interval=options["interval"])
        signal.signal(signal.SIGTERM, lambda *_args: ticker.stop())
        self.stdout.write(f"Dashboard ticker: every {ticker.interval:g}s")
        try:
            ticker.run(max_ticks=options["max_ticks"])
        except KeyboardInterrupt:
            ticker.stop()
        self.stdout.write(f"Dashboard ticker stopped after {ticker.ticks} ticks and {ticker.pushes} pushes.")
