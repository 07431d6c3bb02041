from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.services import practice_sets_reset


class Command(BaseCommand):
    help = "Remove the practice data of every trainee (or of one) and create it fresh; real data is never touched."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--trainee", help="only this trainee's practice data, e.g. trainee3")
        parser.add_argument("--password", default="luckygas-demo", help="password of the trainee accounts")
        parser.add_argument("--force", action="store_true", help="run even with DJANGO_DEBUG off")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to reset training data with DJANGO_DEBUG off; pass --force if you mean it.")
        try:
            report = practice_sets_reset(trainee=options["trainee"], password=options["password"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        if not report.trainees:
            self.stdout.write("No practice sets to reset (create them with `seed_demo --training N`).")
            return
        created = ", ".join(f"{count} {what}" for what, count in report.created.items())
        self.stdout.write(self.style.SUCCESS(f"Practice data reset for {', '.join(report.trainees)}: {created}."))
        self.stdout.write(f"Trainee accounts (password: {options['password']}): {', '.join(report.trainees)}")
