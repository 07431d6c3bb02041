import importlib
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from luckygas.delivery.seed import seed_demo


class Command(BaseCommand):
    help = "Create believable Taiwanese demo data and demo users (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=200, help="number of customers (default 200)")
        parser.add_argument("--orders", type=int, default=1500, help="number of orders (default 1500)")
        parser.add_argument("--password", default="luckygas-demo", help="password of every demo user")
        parser.add_argument("--force", action="store_true", help="run even with DJANGO_DEBUG off")
        parser.add_argument(
            "--training",
            type=int,
            nargs="?",
            const=5,
            default=0,
            metavar="N",
            help="also a practice set for each of trainee1…traineeN (default 5 when given without N)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to seed demo data with DJANGO_DEBUG off; pass --force if you mean it.")
        if options["customers"] < 1 or options["orders"] < 0:
            raise CommandError("--customers must be at least 1 and --orders at least 0.")
        if options["training"] < 0:
            raise CommandError("--training must be at least 0.")
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:7.1f}s] seeding {message}…")

        report = seed_demo(
            customers=options["customers"], orders=options["orders"], password=options["password"], progress=progress
        )
        # Each app may add its own demo data (a bank and mandates, SMS templates…) in `<app>/demo.py`.
        for app_name in ("offline_sync", "sms", "banking", "dashboard", "dispatch"):
            try:
                module = importlib.import_module(f"{app_name}.demo")
            except ModuleNotFoundError as error:
                if error.name != f"{app_name}.demo":
                    raise
                continue
            progress(app_name)
            module.seed_demo_data(password=options["password"], stdout=self.stdout)

        if options["training"]:
            from training.services import practice_sets_seed

            progress(f"practice sets of {options['training']} trainees")
            practice_sets_seed(count=options["training"], password=options["password"])

        for what, count in report.created.items():
            self.stdout.write(f"  created {count:,} {what}")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s."))
        drivers = [name for name in report.users if name.startswith("driver")]
        others = [name for name in report.users if not name.startswith("driver")]
        driver_range = f"{drivers[0]} … {drivers[-1]}" if len(drivers) > 1 else ", ".join(drivers)
        self.stdout.write(f"Demo users (password: {options['password']}): {', '.join(others)}, {driver_range}")
        if options["training"]:
            self.stdout.write(
                f"Trainees (password: {options['password']}): trainee1 … trainee{options['training']}, "
                f"each with a practice driver trainee<N>-driver; reset with `manage.py reset_training`"
            )
