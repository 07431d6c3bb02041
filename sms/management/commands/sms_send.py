"""Send one SMS from the shell through the outbox, with its limits and opt-out checks.

python manage.py sms_send --to 0912345678 --body "瓦斯已送達"
python manage.py sms_send --template order_confirmation --customer C00012 --context order_number=#42
"""

import time
import uuid

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from luckygas.delivery.models import Customer
from luckygas.masking import mask_phone
from sms import services
from sms.models import FINAL_STATUSES, Message, MessageStatus, Priority


class Command(BaseCommand):
    help = "Send one SMS through the outbox and print its id and final status."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", default="", help="Taiwan mobile number (0912345678 or +886912345678).")
        parser.add_argument("--customer", default="", help="Customer code; the customer's mobile is used.")
        parser.add_argument("--body", default="", help="Message text.")
        parser.add_argument("--template", default="", help="Template name instead of --body.")
        parser.add_argument("--context", action="append", default=[], help="Template value as name=value.")
        parser.add_argument("--priority", choices=Priority.values, default=None)
        parser.add_argument("--wait", type=float, default=60, help="Seconds to wait for the provider's answer.")

    def handle(self, *args: object, **options: object) -> None:
        if bool(options["body"]) == bool(options["template"]):
            raise CommandError("Give exactly one of --body and --template.")
        customer = None
        if options["customer"]:
            customer = Customer.objects.filter(code=options["customer"]).first()
            if customer is None:
                raise CommandError(f"--customer: no customer with code {options['customer']}.")
        if not options["to"] and customer is None:
            raise CommandError("Give --to or --customer.")
        context = {}
        for item in options["context"]:
            name, separator, value = str(item).partition("=")
            if not separator:
                raise CommandError(f"--context: expected name=value, got {item!r}.")
            context[name] = value
        try:
            message = services.message_enqueue(
                idempotency_key=f"shell:{uuid.uuid4()}",
                phone=str(options["to"]),
                customer=customer,
                body=str(options["body"]),
                template=str(options["template"]) or None,
                context=context,
                priority=options["priority"],
            )
        except ValidationError as error:
            problems = "; ".join(f"{field}: {' '.join(texts)}" for field, texts in error.message_dict.items())
            raise CommandError(problems) from error
        self.stdout.write(f"message {message.pk} queued to {mask_phone(message.phone)}")
        deadline = time.monotonic() + float(options["wait"])
        seen = message.status
        # Wait until a provider has accepted it (or it is final, or deferred past the wait).
        while time.monotonic() < deadline and seen not in (MessageStatus.ACCEPTED, *FINAL_STATUSES):
            time.sleep(0.5)
            message.refresh_from_db()
            if message.status != seen:
                seen = message.status
                self.stdout.write(f"message {message.pk}: {seen}")
        message = Message.objects.get(pk=message.pk)
        detail = f" ({message.deferred_reason})" if message.deferred_reason else ""
        self.stdout.write(f"message {message.pk} status {message.status}{detail} via {message.provider or '-'}")
