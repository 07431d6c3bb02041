"""What the delivery admin modules share."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest


def _report_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)
