from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from banking import services
from banking.management.base import bank_from_option, existing_file, import_report, refusal


class Command(BaseCommand):
    help = "Import a plain ACHR01 return file received by hand and reconcile (same checks and audit as SFTP)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bank", required=True, help="bank code")
        parser.add_argument("path")
        parser.add_argument("--sealed", action="store_true", help="the file is the bank's encrypted, signed envelope")
        parser.add_argument("--user", default="command", help="who imports (recorded in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        bank = bank_from_option(options["bank"])
        path = existing_file(options["path"])
        try:
            result = services.returns_import(
                bank=bank, file_name=path.name, data=path.read_bytes(), sealed=options["sealed"], actor=options["user"]
            )
        except ValidationError as error:
            raise refusal(self, error, f"{path} was refused; nothing was imported") from error
        import_report(
            self,
            path.name,
            created=result.created,
            summary=f"{result.matched} returns matched, {result.unmatched} unmatched, "
            f"batches {', '.join(f'#{pk}' for pk in result.batches) or 'none'}.",
        )
