import datetime
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from banking import codec, services
from banking.models import Bank


class Command(BaseCommand):
    help = (
        "Prepare a draft batch of every due direct-debit invoice and write its plain ACHP01 file. "
        "The batch still needs approval by another user before any upload."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bank", help="bank code (may be left out when only one bank is configured)")
        parser.add_argument("--date", required=True, help="collection date, YYYY-MM-DD")
        parser.add_argument("--out", required=True, help="where to write the ACHP01 file")
        parser.add_argument("--user", default="", help="the preparing user (default: the first active superuser)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            collection_date = datetime.date.fromisoformat(options["date"])
        except ValueError as error:
            raise CommandError(f"--date: {options['date']!r} is not a date in YYYY-MM-DD form") from error
        banks = Bank.objects.filter(is_active=True)
        if options["bank"]:
            bank = banks.filter(code=options["bank"]).first()
            if bank is None:
                raise CommandError(f"--bank: no active bank with code {options['bank']!r}")
        else:
            if banks.count() != 1:
                raise CommandError(f"--bank is required: {banks.count()} active banks are configured")
            bank = banks.get()
        user_model = get_user_model()
        if options["user"]:
            preparer = user_model.objects.filter(username=options["user"], is_active=True).first()
            if preparer is None:
                raise CommandError(f"--user: no active user {options['user']!r}")
        else:
            preparer = user_model.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
            if preparer is None:
                raise CommandError("--user is required: there is no active superuser")
        try:
            result = services.batch_prepare(bank=bank, collection_date=collection_date, prepared_by=preparer)
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        for number, reason in result.skipped:
            self.stderr.write(f"skipped invoice {number}: {reason}")
        if result.batch is None:
            raise CommandError("no due direct-debit invoice with a verified mandate: nothing to write")
        try:
            data = services.batch_build_plain_file(batch=result.batch)
        except codec.CodecError as error:
            raise CommandError(str(error)) from error
        out = Path(options["out"])
        out.write_bytes(data)
        batch = result.batch
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {out} ({len(data):,} bytes): draft batch #{batch.pk} for bank {bank.code}, "
                f"{batch.item_count} items, NT${batch.total_amount:,}. "
                "It needs approval by another user before upload."
            )
        )
