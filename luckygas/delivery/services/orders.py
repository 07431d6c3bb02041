"""Orders: create, lines and totals, life-cycle moves, cancel."""

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery import events
from luckygas.delivery.models import (
    Customer,
    CylinderProduct,
    Order,
    OrderLine,
    OrderPriority,
    OrderStatus,
    OrderStatusChange,
    RouteStop,
    StopStatus,
)
from luckygas.delivery.services.stops import _stop_set_status, route_stops_lock
from luckygas.delivery.services.transitions import (
    ALLOWED_ORDER_TRANSITIONS,
    IllegalTransitionError,
)


@dataclass(frozen=True)
class OrderLineInput:
    product: CylinderProduct
    quantity: int


def order_check_input(*, customer: Customer, lines: Sequence[OrderLineInput]) -> None:
    """Refuse a new order for an inactive customer, without lines, or with a bad line (raises naming the field)."""
    if not customer.is_active:
        raise ValidationError({"customer": _("This customer is inactive.")})
    if not lines:
        raise ValidationError({"lines": _("An order needs at least one line.")})
    for line in lines:
        if line.quantity < 1:
            raise ValidationError({"quantity": _("Quantity must be at least 1.")})
        if not line.product.is_active:
            raise ValidationError({"product": _("%(product)s is no longer sold.") % {"product": line.product}})


def order_create(
    *,
    customer: Customer,
    delivery_date: datetime.date,
    lines: Sequence[OrderLineInput],
    slot: str | None = None,
    notes: str = "",
    created_by: AbstractBaseUser | None = None,
    payment_method: str | None = None,
    priority: str = OrderPriority.NORMAL,
    entry_key: uuid.UUID | None = None,
) -> Order:
    """Create a pending order with its lines at today's prices. Needs an active customer and ≥ 1 line.

    Slot and payment method default to the customer's own. An `entry_key` already used (the same order form
    submitted twice, even at the same moment) returns the order it made, unchanged.
    """
    if entry_key is not None and (existing := Order.objects.filter(entry_key=entry_key).first()) is not None:
        return existing
    order_check_input(customer=customer, lines=lines)
    try:
        with transaction.atomic():
            order = Order.objects.create(
                customer=customer,
                delivery_date=delivery_date,
                slot=slot or customer.preferred_slot,
                payment_method=payment_method or customer.payment_method,
                priority=priority,
                notes=notes,
                created_by=created_by,
                status_changed_at=timezone.now(),
                entry_key=entry_key,
            )
            OrderLine.objects.bulk_create(
                OrderLine(order=order, product=line.product, quantity=line.quantity, unit_price=line.product.price)
                for line in lines
            )
            order.total_amount = sum(line.quantity * line.product.price for line in lines)
            order.save(update_fields=["total_amount"])
            events.publish(events.OrderCreated(order_id=order.pk))
    except IntegrityError:
        # The same key committed by a concurrent submission meanwhile (the unique index waited for it).
        existing = Order.objects.filter(entry_key=entry_key).first() if entry_key is not None else None
        if existing is None:
            raise
        return existing
    return order


def order_recalculate_total(*, order: Order, is_new: bool = False) -> Order:
    """Recompute the stored total after the office entered or edited an order and its lines.

    Orders entered in admin or imported from a file come through here, so they announce
    themselves like orders created by `order_create`.
    """
    with transaction.atomic():
        total = sum(line.line_total for line in order.lines.all())
        Order.objects.filter(pk=order.pk).update(total_amount=total)
        order.total_amount = total
        events.publish(events.OrderCreated(order_id=order.pk) if is_new else events.OrderUpdated(order_id=order.pk))
    return order


def order_replace_lines(*, order: Order, lines: Sequence[OrderLineInput], is_new: bool = False) -> Order:
    """Replace a pending order's lines at today's prices (used by the order import)."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.PENDING:
            raise ValidationError({"status": _("Only pending orders can be changed.")})
        locked.lines.all().delete()
        OrderLine.objects.bulk_create(
            OrderLine(order=locked, product=line.product, quantity=line.quantity, unit_price=line.product.price)
            for line in lines
        )
        return order_recalculate_total(order=order, is_new=is_new)


def order_transition(*, order: Order, to_status: str, actor: AbstractBaseUser | None = None, reason: str = "") -> Order:
    """Move an order along its life cycle; an illegal move raises and changes nothing."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        allowed = ALLOWED_ORDER_TRANSITIONS[locked.status]
        if to_status not in allowed:
            raise IllegalTransitionError(
                {
                    "status": _("Order %(order)s cannot go from %(from)s to %(to)s.")
                    % {
                        "order": locked,
                        "from": OrderStatus(locked.status).label,
                        "to": OrderStatus(to_status).label if to_status in OrderStatus.values else to_status,
                    }
                },
                code="illegal_transition",
            )
        now = timezone.now()
        OrderStatusChange.objects.create(
            order=locked, from_status=locked.status, to_status=to_status, changed_by=actor, reason=reason
        )
        locked.status = to_status
        locked.status_changed_at = now
        update_fields = ["status", "status_changed_at", "updated_at"]
        if to_status == OrderStatus.DELIVERED:
            locked.delivered_at = now
            update_fields.append("delivered_at")
        locked.save(update_fields=update_fields)
        events.publish(events.OrderStatusChanged(order_id=locked.pk, from_status=order.status, to_status=to_status))
    order.refresh_from_db()
    return order


def order_confirm(*, order: Order, actor: AbstractBaseUser | None = None) -> Order:
    return order_transition(order=order, to_status=OrderStatus.CONFIRMED, actor=actor)


def order_cancel(*, order: Order, actor: AbstractBaseUser | None = None, reason: str = "") -> Order:
    """Cancel an order; its route stop (if any) is cancelled too and its version raised."""
    with transaction.atomic():
        # The stop first, then its order: the lock order of a driver's push (`route_stops_lock`),
        # so a cancel and a push of the same stop wait for each other instead of deadlocking.
        stop_id = RouteStop.objects.filter(order=order).values_list("pk", flat=True).first()
        stop = route_stops_lock(stop_ids=[stop_id]).get(stop_id) if stop_id is not None else None
        order = order_transition(order=order, to_status=OrderStatus.CANCELLED, actor=actor, reason=reason)
        if stop is None:  # put on a route meanwhile: that stop is new, no phone has it yet
            stop = RouteStop.objects.select_for_update().filter(order=order).first()
        if stop is not None and not stop.is_final:
            _stop_set_status(stop=stop, status=StopStatus.CANCELLED, note=reason)
    return order
