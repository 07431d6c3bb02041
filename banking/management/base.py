"""What the banking commands share: the --bank option looked up, a file argument checked, outcomes written out."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from banking.models import Bank


def bank_from_option(code: str) -> Bank:
    """The bank named by --bank; a CommandError naming the option when there is none."""
    bank = Bank.objects.filter(code=code).first()
    if bank is None:
        raise CommandError(f"--bank: no bank with code {code!r}")
    return bank


def refusal(command: BaseCommand, error: ValidationError, summary: str) -> CommandError:
    """Write each message of a refused operation to stderr; the CommandError to raise from it."""
    for message in error.messages:
        command.stderr.write(f"error: {message}")
    return CommandError(summary)


def existing_file(path_text: str) -> Path:
    """The file a command was given; a CommandError naming it when there is no such file."""
    path = Path(path_text)
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    return path


def import_report(command: BaseCommand, file_name: str, *, created: bool, summary: str) -> None:
    """Say what importing a bank file did: nothing when it was imported before, else its summary."""
    if not created:
        command.stdout.write(f"{file_name} was already imported; nothing changed.")
    else:
        command.stdout.write(command.style.SUCCESS(f"Imported {file_name}: {summary}"))
