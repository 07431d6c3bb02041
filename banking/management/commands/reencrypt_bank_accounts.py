from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from banking import services


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored bank account number under the current key, after rotating "
        "DJANGO_SECRET_KEY (old key in DJANGO_SECRET_KEY_FALLBACKS) or LUCKYGAS_BANKING_ACCOUNT_KEY "
        "(old key after the new one, comma-separated). Safe to run again; numbers no key opens are listed "
        "and left untouched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would be re-encrypted, change nothing")
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError(f"--batch-size: {options['batch_size']} is not a positive number of rows")

        def progress(label: str, done: int, total: int) -> None:
            self.stdout.write(f"{label}: {done}/{total}")

        result = services.bank_accounts_reencrypt(
            actor="reencrypt_bank_accounts",
            dry_run=options["dry_run"],
            batch_size=options["batch_size"],
            progress=progress,
        )
        verb = "would re-encrypt" if options["dry_run"] else "re-encrypted"
        self.stdout.write(
            f"{result.checked} account numbers checked, {verb} {result.reencrypted}, "
            f"{result.checked - result.reencrypted - len(result.unreadable)} already under the current key"
        )
        if result.unreadable:
            listed = ", ".join(f"{label}#{pk}" for label, pk in result.unreadable[:20])
            more = f" and {len(result.unreadable) - 20} more" if len(result.unreadable) > 20 else ""
            raise CommandError(
                f"{len(result.unreadable)} account numbers no configured key opens, left as they are: {listed}{more}. "
                "Add the key they were stored under (DJANGO_SECRET_KEY_FALLBACKS or LUCKYGAS_BANKING_ACCOUNT_KEY) "
                "and run again."
            )
        self.stdout.write(self.style.SUCCESS("every account number is under the current key"))
