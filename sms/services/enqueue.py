"""Writing a message to the outbox: rendering, compliance of marketing text, segments."""

import datetime
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery.models import Customer
from luckygas.delivery.validators import normalize_taiwan_phone
from sms import conf, crypto, metrics, rendering
from sms.models import (
    AllowlistEntry,
    Message,
    MessageStatus,
    Priority,
    StatusChange,
    Template,
)
from sms.segments import count_segments
from sms.services.status import _enqueue_send


def _allowlist() -> tuple[list[str], list[str]]:
    entries = list(AllowlistEntry.objects.values_list("kind", "value"))
    return (
        [value for kind, value in entries if kind == AllowlistEntry.Kind.LINK],
        [value for kind, value in entries if kind == AllowlistEntry.Kind.PHONE],
    )


def check_marketing_text(body: str) -> None:
    links, phones = _allowlist()
    problems = rendering.unregistered_links_and_numbers(body, links=links, phones=phones)
    if problems:
        raise ValidationError(
            {
                "body": _("Marketing text may only contain registered links and numbers; not registered: %(items)s")
                % {"items": ", ".join(problems)}
            }
        )


def message_enqueue(
    *,
    idempotency_key: str,
    phone: str = "",
    customer: Customer | None = None,
    body: str = "",
    template: Template | str | None = None,
    context: Mapping[str, object] | None = None,
    priority: str | None = None,
    not_before: datetime.datetime | None = None,
    resend_of: Message | None = None,
) -> Message:
    """Write one message to the outbox (idempotent on `idempotency_key`); it is sent after commit.

    Needs a phone or a customer with a mobile, and either a body or a template.
    """
    crypto.check_keys()
    if not idempotency_key:
        raise ValidationError({"idempotency_key": _("An idempotency key is required.")})
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    raw_phone = phone or (customer.mobile if customer else "")
    if not raw_phone:
        raise ValidationError({"phone": _("The customer has no mobile number for SMS.")})
    try:
        normalized = normalize_taiwan_phone(raw_phone, mobile_only=True)
    except ValidationError as error:
        raise ValidationError({"phone": error.messages}) from error
    variant = None
    if isinstance(template, str):
        template = Template.objects.filter(name=template, is_active=True).first()
        if template is None:
            raise ValidationError({"template": _("No active template with this name.")})
    if template is not None:
        variants = list(template.variants.filter(is_active=True, weight__gt=0).order_by("label"))
        variant = rendering.choose_variant(
            variants,
            [item.weight for item in variants],
            recipient_key=customer.code if customer else normalized,
            template_name=template.name,
        )
        full_context = {"company_name": conf.company_name(), **(context or {})}
        if customer is not None:
            full_context.setdefault("customer_name", customer.short_name)
        body = rendering.render(variant.body, full_context)
        priority = priority or template.priority
    if not body.strip():
        raise ValidationError({"body": _("The message is empty.")})
    priority = priority or Priority.NORMAL
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    if priority == Priority.MARKETING:
        body = rendering.marketing_body(body)
        check_marketing_text(body)
    count = count_segments(body)
    if count.segments > 5:
        raise ValidationError(
            {"body": _("The message needs %(n)d parts; at most 5 are allowed.") % {"n": count.segments}}
        )
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "customer": customer,
                "phone": normalized,
                "template": template,
                "variant": variant,
                "body_encrypted": crypto.encrypt_body(body),
                "priority": priority,
                "encoding": count.encoding,
                "billable_units": count.segments,
                "not_before": not_before or timezone.now(),
                "resend_of": resend_of,
            },
        )
        if created:
            StatusChange.objects.create(
                message=message, from_status=MessageStatus.QUEUED, to_status=MessageStatus.QUEUED, note="enqueued"
            )
            metrics.count_status(provider="", status=MessageStatus.QUEUED)
            _enqueue_send(message.pk)
    return message
