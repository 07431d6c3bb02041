"""Business events that send SMS, and the re-scan that makes them reliable.

The delivery services publish their events after their transaction commits, so the outbox row
cannot share that transaction without changing the core. Instead every message has an
idempotency key derived from the business fact (`order_confirmation:order:42`): the event
handler writes it right after commit, and `rescan_business_events` (run by the periodic
reconcile task) writes any that a crash between commit and handler left out. A fact therefore
always gets exactly one outbox row, at most one reconcile interval late.

Banking publishes its direct-debit events inside its own transaction (`publish_in_transaction`),
so those handlers write the outbox row in that very transaction: the notice commits or rolls
back with the debit, and needs no re-scan. A notice that cannot be written for a business reason
(no mobile number, template switched off or edited into something unrenderable) is logged and
skipped, never allowed to undo the debit, and so is a missing SMS_BODY_KEYS (logged as an error);
a database error still rolls both back. One event carries a whole batch (up to 100,000 items),
so its notices are written in bulk and their send tasks published in chunks after commit.
"""

import datetime
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from luckygas.delivery import events
from luckygas.delivery.models import Customer, Invoice, Order, OrderStatus, OrderStatusChange
from sms.crypto import BodyKeyMissingError
from sms.models import Message, Template

logger = logging.getLogger(__name__)
RESCAN_WINDOW = datetime.timedelta(hours=24)
# Order status → (template name, idempotency key prefix).
ORDER_TEMPLATES = {
    OrderStatus.CONFIRMED: "order_confirmation",
    OrderStatus.OUT_FOR_DELIVERY: "driver_arriving",
}


def order_message_key(template_name: str, order_id: int) -> str:
    return f"{template_name}:order:{order_id}"


def _order_context(order: Order) -> dict[str, object]:
    return {
        "customer_name": order.customer.short_name,
        "order_number": str(order),
        "delivery_date": date_format(order.delivery_date, "m/d"),
        "delivery_slot": order.get_slot_display(),
        "total_amount": order.total_amount,
        "eta_minutes": 15,
    }


def enqueue_for_order(*, order: Order, template_name: str) -> Message | None:
    from sms.services import message_enqueue

    if not order.customer.mobile or not Template.objects.filter(name=template_name, is_active=True).exists():
        return None
    try:
        return message_enqueue(
            idempotency_key=order_message_key(template_name, order.pk),
            customer=order.customer,
            template=template_name,
            context=_order_context(order),
        )
    except ValidationError as error:
        logger.warning("sms for order %s not queued: %s", order.pk, "; ".join(error.messages))
        return None


def on_order_status_changed(*, event: str, **payload: Any) -> None:
    change: events.OrderStatusChanged = events.typed(event, payload)
    template_name = ORDER_TEMPLATES.get(change.to_status)
    if template_name is None:
        return
    order = Order.objects.select_related("customer").filter(pk=change.order_id).first()
    if order is not None:
        enqueue_for_order(order=order, template_name=template_name)


def rescan_business_events(*, now: datetime.datetime | None = None) -> int:
    """Write the outbox rows of recent status changes that have none (a crash after commit)."""
    now = now or timezone.now()
    changes = list(
        OrderStatusChange.objects.filter(to_status__in=list(ORDER_TEMPLATES), changed_at__gte=now - RESCAN_WINDOW)
        .values_list("order_id", "to_status")
        .order_by("order_id")
    )
    wanted = {order_message_key(ORDER_TEMPLATES[status], order_id): (order_id, status) for order_id, status in changes}
    existing = set(Message.objects.filter(idempotency_key__in=list(wanted)).values_list("idempotency_key", flat=True))
    created = 0
    for key, (order_id, status) in wanted.items():
        if key in existing:
            continue
        order = Order.objects.select_related("customer").filter(pk=order_id).first()
        if order is not None and enqueue_for_order(order=order, template_name=ORDER_TEMPLATES[status]) is not None:
            created += 1
    return created


# --- Direct debits (published by banking inside its transaction, one event per batch) ------------

PAYMENT_DUE_TEMPLATE = "payment_due"
PAYMENT_FAILED_TEMPLATE = "payment_failed"
KEY_LENGTH = Message._meta.get_field("idempotency_key").max_length


def debit_message_key(template_name: str, item_id: str) -> str:
    return f"{template_name}:debit:{item_id}"


def enqueue_for_debits(*, template_name: str, items: Sequence[Mapping[str, Any]]) -> int:
    """Write the notices of a batch's debit items in the caller's transaction, in bulk; once per item.

    Returns the number of messages queued. Never raises for a business reason or a missing
    SMS_BODY_KEYS (the debit must not be undone for a notice); a database error still does.
    """
    from sms.services.enqueue import TemplatedMessage, messages_enqueue_from_template

    template = Template.objects.filter(name=template_name, is_active=True).first()
    if template is None or not items:
        return 0
    customer_ids = sorted({item["customer_id"] for item in items})
    customers: dict[int, Customer] = {}
    for start in range(0, len(customer_ids), 5000):
        chunk = customer_ids[start : start + 5000]
        customers.update(
            (customer.pk, customer)
            for customer in Customer.objects.filter(pk__in=chunk).only("pk", "code", "short_name", "mobile")
        )
    invoice_ids = sorted({invoice_id for item in items for invoice_id in item["invoice_ids"]})
    numbers: dict[int, str] = {}
    for start in range(0, len(invoice_ids), 5000):
        numbers.update(Invoice.objects.filter(pk__in=invoice_ids[start : start + 5000]).values_list("pk", "number"))
    shown_dates: dict[datetime.date, str] = {}
    messages = []
    too_long = 0
    for item in items:
        key = debit_message_key(template_name, str(item["item_id"]))
        if len(key) > KEY_LENGTH:
            too_long += 1
            continue
        collection_date = item["collection_date"]
        if collection_date not in shown_dates:
            shown_dates[collection_date] = date_format(collection_date, "m/d")
        messages.append(
            TemplatedMessage(
                idempotency_key=key,
                customer=customers.get(item["customer_id"]),
                context={
                    "invoice_number": "、".join(sorted(numbers[pk] for pk in item["invoice_ids"] if pk in numbers)),
                    "amount": item["amount"],
                    "collection_date": shown_dates[collection_date],
                    "due_date": shown_dates[collection_date],
                },
            )
        )
    try:
        result = messages_enqueue_from_template(template=template, messages=messages)
    except BodyKeyMissingError:
        # No body, phone or customer in this line: only what an operator needs to fix the setup.
        logger.error(
            "sms %s for %d debit items not queued: SMS_BODY_KEYS is missing or invalid", template_name, len(items)
        )
        return 0
    except ValidationError as error:
        logger.warning("sms %s for %d debit items not queued: %s", template_name, len(items), "; ".join(error.messages))
        return 0
    logger.info(
        "sms %s for %d debit items: %d queued, %d opted out, %d already queued, "
        "%d skipped without a mobile number, %d skipped as not renderable",
        template_name,
        len(items),
        result.queued,
        result.opted_out,
        result.existing,
        result.no_mobile,
        result.not_renderable + too_long,
    )
    return result.queued


def on_direct_debit_scheduled(*, event: str, items: Sequence[Mapping[str, Any]], **_payload: object) -> None:
    enqueue_for_debits(template_name=PAYMENT_DUE_TEMPLATE, items=items)


def on_direct_debit_returned(*, event: str, items: Sequence[Mapping[str, Any]], **_payload: object) -> None:
    enqueue_for_debits(template_name=PAYMENT_FAILED_TEMPLATE, items=items)
