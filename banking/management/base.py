"""What the banking commands share: the --bank option looked up, a refusal written out."""

from __future__ import annotations

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
