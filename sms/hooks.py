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
skipped, never allowed to undo the debit; a database error still rolls both back.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from luckygas.delivery.models import Customer, Invoice, Order, OrderStatus, OrderStatusChange
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


def on_order_status_changed(*, event: str, order_id: int, to_status: str, **_payload: object) -> None:
    template_name = ORDER_TEMPLATES.get(to_status)
    if template_name is None:
        return
    order = Order.objects.select_related("customer").filter(pk=order_id).first()
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


# --- Direct debits (published by banking inside its transaction) ------------------------------

PAYMENT_DUE_TEMPLATE = "payment_due"
PAYMENT_FAILED_TEMPLATE = "payment_failed"


def debit_message_key(template_name: str, item_id: str) -> str:
    return f"{template_name}:debit:{item_id}"


def _debit_context(*, amount: int, collection_date: datetime.date, invoice_ids: list[int]) -> dict[str, object]:
    numbers = Invoice.objects.filter(pk__in=invoice_ids).order_by("number").values_list("number", flat=True)
    shown_date = date_format(collection_date, "m/d")
    return {
        "invoice_number": "、".join(numbers),
        "amount": amount,
        "collection_date": shown_date,
        "due_date": shown_date,
    }


def enqueue_for_debit(
    *,
    template_name: str,
    item_id: str,
    customer_id: int,
    amount: int,
    collection_date: datetime.date,
    invoice_ids: list[int],
) -> Message | None:
    """Write the notice of one direct-debit item in the caller's transaction (once per item)."""
    from sms.services import message_enqueue

    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or not customer.mobile:
        logger.info("sms %s for debit item skipped: the customer has no mobile number", template_name)
        return None
    if not Template.objects.filter(name=template_name, is_active=True).exists():
        return None
    try:
        return message_enqueue(
            idempotency_key=debit_message_key(template_name, str(item_id)),
            customer=customer,
            template=template_name,
            context=_debit_context(amount=amount, collection_date=collection_date, invoice_ids=invoice_ids),
        )
    except ValidationError as error:
        logger.warning("sms %s for a debit item not queued: %s", template_name, "; ".join(error.messages))
        return None


def on_direct_debit_scheduled(
    *,
    event: str,
    item_id: str,
    customer_id: int,
    amount: int,
    collection_date: datetime.date,
    invoice_ids: list[int],
    **_payload: object,
) -> None:
    enqueue_for_debit(
        template_name=PAYMENT_DUE_TEMPLATE,
        item_id=item_id,
        customer_id=customer_id,
        amount=amount,
        collection_date=collection_date,
        invoice_ids=invoice_ids,
    )


def on_direct_debit_returned(
    *,
    event: str,
    item_id: str,
    customer_id: int,
    amount: int,
    collection_date: datetime.date,
    invoice_ids: list[int],
    **_payload: object,
) -> None:
    enqueue_for_debit(
        template_name=PAYMENT_FAILED_TEMPLATE,
        item_id=item_id,
        customer_id=customer_id,
        amount=amount,
        collection_date=collection_date,
        invoice_ids=invoice_ids,
    )
