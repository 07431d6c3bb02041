"""Writing a message to the outbox: rendering, compliance of marketing text, segments."""

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery.models import Customer
from luckygas.delivery.validators import normalize_taiwan_phone
from sms import conf, crypto, metrics, rendering
from sms.models import (
    AllowlistEntry,
    MarketingConsent,
    Message,
    MessageStatus,
    OptOut,
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


# --- Bulk writes (a direct-debit batch: up to 100,000 notices in the bank's transaction) -------------

BULK_CHUNK = 2000
DISPATCH_CHUNK = 500


@dataclass(frozen=True)
class TemplatedMessage:
    """One message of a bulk write: its idempotency key, its customer (may lack a mobile) and values."""

    idempotency_key: str
    customer: Customer | None
    context: Mapping[str, object]


@dataclass
class BulkResult:
    queued: int = 0
    opted_out: int = 0
    existing: int = 0
    no_mobile: int = 0
    not_renderable: int = 0
    message_ids: list[int] = field(default_factory=list)


def _mobile_of(customer: Customer | None, cache: dict[str, str]) -> str:
    """The customer's mobile in E.164, or "" when there is none or it is no valid mobile."""
    raw = customer.mobile if customer is not None else ""
    if not raw:
        return ""
    if raw not in cache:
        try:
            cache[raw] = normalize_taiwan_phone(raw, mobile_only=True)
        except ValidationError:
            cache[raw] = ""
    return cache[raw]


def messages_enqueue_from_template(*, template: Template, messages: Sequence[TemplatedMessage]) -> BulkResult:
    """Write many messages of one active template in bulk, in the caller's transaction; sent after commit.

    The same rules as `message_enqueue`, per message: idempotent on the key, rendered and encrypted
    one by one, more than 5 parts refused; a number on the opt-out list is written straight as
    failed (as dispatch would mark it) unless the template is critical and critical notices may
    reach opted-out numbers. Limits apply at dispatch. Messages without a mobile or that do not
    render are counted, not written. Raises BodyKeyMissingError when bodies cannot be encrypted and
    ValidationError when the template has no active variant, before writing anything.
    """
    encrypt = crypto.body_encrypter()
    variants = list(template.variants.filter(is_active=True, weight__gt=0).order_by("label"))
    weights = [item.weight for item in variants]
    if not variants:
        raise ValidationError({"template": _("The template has no active variant.")})
    company = conf.company_name()
    priority = template.priority
    is_marketing = priority == Priority.MARKETING
    allowlist = _allowlist() if is_marketing else ([], [])
    opted_out_is_sent = priority == Priority.CRITICAL and conf.opted_out_allows_critical()
    result = BulkResult()
    phones: dict[str, str] = {}
    unique = list({item.idempotency_key: item for item in messages}.values())
    for start in range(0, len(unique), BULK_CHUNK):
        chunk = unique[start : start + BULK_CHUNK]
        keys = [item.idempotency_key for item in chunk]
        existing = set(Message.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
        result.existing += len(existing)
        wanted = [(item, _mobile_of(item.customer, phones)) for item in chunk if item.idempotency_key not in existing]
        result.no_mobile += sum(1 for _item, phone in wanted if not phone)
        wanted = [(item, phone) for item, phone in wanted if phone]
        opted_out = set()
        if not opted_out_is_sent:
            opted_out = set(
                OptOut.objects.filter(phone__in={phone for _item, phone in wanted}).values_list("phone", flat=True)
            )
        consenting = set()
        if is_marketing:
            consenting = set(
                MarketingConsent.objects.filter(
                    phone__in={phone for _item, phone in wanted}, revoked_at__isnull=True
                ).values_list("phone", flat=True)
            )
        now = timezone.now()
        rows: list[Message] = []
        refusals: dict[uuid.UUID, str] = {}
        for item, phone in wanted:
            customer = item.customer
            variant = rendering.choose_variant(
                variants, weights, recipient_key=customer.code if customer else phone, template_name=template.name
            )
            context = {"company_name": company, **item.context}
            if customer is not None:
                context.setdefault("customer_name", customer.short_name)
            try:
                body = rendering.render(variant.body, context)
                if is_marketing:
                    body = rendering.marketing_body(body)
                    if rendering.unregistered_links_and_numbers(body, links=allowlist[0], phones=allowlist[1]):
                        raise ValidationError("unregistered link or number")
            except ValidationError:
                result.not_renderable += 1
                continue
            count = count_segments(body)
            if not body.strip() or count.segments > 5:
                result.not_renderable += 1
                continue
            refusal = None
            if phone in opted_out:
                refusal = ("opted out", "opted_out", "The recipient opted out.")
            elif is_marketing and phone not in consenting:
                refusal = ("no marketing consent", "no_consent", "No recorded marketing consent.")
            rows.append(
                Message(
                    idempotency_key=item.idempotency_key,
                    customer=customer,
                    phone=phone,
                    template=template,
                    variant=variant,
                    body_encrypted=encrypt(body),
                    priority=priority,
                    encoding=count.encoding,
                    billable_units=count.segments,
                    not_before=now,
                    **(
                        {}
                        if refusal is None
                        else {
                            "status": MessageStatus.FAILED,
                            "error_code": refusal[1],
                            "error_detail": refusal[2],
                            "final_at": now,
                        }
                    ),
                )
            )
            if refusal is not None:
                refusals[rows[-1].uuid] = refusal[0]
        if not rows:
            continue
        # A concurrent writer of the same keys wins quietly; only the rows inserted here (found
        # again by their fresh uuids) get a history and a send task.
        Message.objects.bulk_create(rows, ignore_conflicts=True)
        inserted = list(
            Message.objects.filter(uuid__in=[row.uuid for row in rows]).order_by("pk").values_list("pk", "uuid")
        )
        result.existing += len(rows) - len(inserted)
        history: list[StatusChange] = []
        for pk, row_uuid in inserted:
            history.append(
                StatusChange(
                    message_id=pk, from_status=MessageStatus.QUEUED, to_status=MessageStatus.QUEUED, note="enqueued"
                )
            )
            if row_uuid in refusals:
                history.append(
                    StatusChange(
                        message_id=pk,
                        from_status=MessageStatus.QUEUED,
                        to_status=MessageStatus.FAILED,
                        note=refusals[row_uuid],
                    )
                )
                result.opted_out += 1
            else:
                result.message_ids.append(pk)
        StatusChange.objects.bulk_create(history)
    result.queued = len(result.message_ids)
    if result.queued or result.opted_out:
        metrics.count_status(provider="", status=MessageStatus.QUEUED, count=result.queued + result.opted_out)
    if result.opted_out:
        metrics.count_status(provider="", status=MessageStatus.FAILED, count=result.opted_out)
    if result.message_ids:
        _enqueue_send_many(result.message_ids)
    return result


def _enqueue_send_many(message_ids: list[int]) -> None:
    """After commit, publish one task per DISPATCH_CHUNK messages (the reconcile re-dispatches any lost)."""
    from sms.tasks import message_send_many

    chunks = [message_ids[start : start + DISPATCH_CHUNK] for start in range(0, len(message_ids), DISPATCH_CHUNK)]

    def publish() -> None:
        for chunk in chunks:
            message_send_many.delay(chunk)

    # robust: a broker outage after the bank's commit must not turn into an error for the caller.
    transaction.on_commit(publish, robust=True)
