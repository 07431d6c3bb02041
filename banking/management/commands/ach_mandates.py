from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from banking import services
from banking.management.base import bank_from_option, existing_file, import_report, refusal
from banking.models import Bank
from banking.transport import TransportError


class Command(BaseCommand):
    help = (
        "Mandates (ACHP02): `send` writes the file of waiting requests (new, cancel, change) and uploads it by "
        "SFTP; `import` fetches the bank's reply files over SFTP, or imports a plain reply file given by PATH."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["send", "import"])
        parser.add_argument("--bank", required=True, help="bank code")
        parser.add_argument("path", nargs="?", help="import: a plain ACHP02 reply file received by hand")
        parser.add_argument("--user", default="command", help="who acts (recorded in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        bank = bank_from_option(options["bank"])
        try:
            if options["operation"] == "send":
                if options["path"]:
                    raise CommandError("send takes no PATH")
                self._send(bank, options["user"])
            else:
                self._import(bank, options["path"], options["user"])
        except ValidationError as error:
            raise refusal(self, error, "refused; nothing was changed") from error
        except TransportError as error:
            raise CommandError(f"bank {bank.code}: {error}") from error

    def _send(self, bank: Bank, user: str) -> None:
        sent = services.mandate_files_send(bank=bank, actor=user)
        if not sent:
            self.stdout.write("No mandate request is waiting; nothing was sent.")
        for transfer in sent:
            self.stdout.write(
                self.style.SUCCESS(f"Delivered {transfer.file_name}: {transfer.record_count} mandate requests.")
            )

    def _import(self, bank: Bank, path_text: str | None, user: str) -> None:
        if path_text is None:
            results = services.mandate_replies_fetch(bank=bank, actor=user)
            if not results:
                self.stdout.write("No new reply file on the bank's server.")
        else:
            path = existing_file(path_text)
            results = [
                services.mandate_replies_import(
                    bank=bank, data=path.read_bytes(), file_name=path.name, sealed=False, actor=user
                )
            ]
        for result in results:
            import_report(
                self,
                result.transfer.file_name,
                created=result.created,
                summary=f"{result.counts['accepted']} accepted, {result.counts['refused']} refused, "
                f"{result.counts['unmatched']} unmatched.",
            )
