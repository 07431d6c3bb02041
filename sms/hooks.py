"""Business events that send SMS, and the re-scan that makes them reliable.

The delivery services publish their events after their transaction commits, so the outbox row
cannot share that transaction without changing the core. Instead every message has an
idempotency key derived from the business fact (`order_confirmation:order:42`): the event
handler writes it right after commit, and `rescan_business_events` (run by the periodic
reconcile task) writes any that a crash between commit and handler left out. A fact therefore
always gets exactly one outbox row, at most one reconcile interval late.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from luckygas.delivery.models import Order, OrderStatus, OrderStatusChange
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
