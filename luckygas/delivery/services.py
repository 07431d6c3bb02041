"""Every write to the delivery domain goes through these functions."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery import events
from luckygas.delivery.models import (
    FINAL_STOP_STATUSES,
    Customer,
    CylinderProduct,
    Driver,
    Invoice,
    InvoiceStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Payment,
    PaymentChannel,
    Route,
    RouteStatus,
    RouteStop,
    StopStatus,
)

ALLOWED_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.SCHEDULED, OrderStatus.CANCELLED}),
    OrderStatus.SCHEDULED: frozenset({OrderStatus.OUT_FOR_DELIVERY, OrderStatus.CANCELLED}),
    OrderStatus.OUT_FOR_DELIVERY: frozenset({OrderStatus.DELIVERED, OrderStatus.FAILED, OrderStatus.CANCELLED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.FAILED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class IllegalTransitionError(ValidationError):
    """An order or stop was asked to move to a status its life cycle does not allow."""


@dataclass(frozen=True)
class OrderLineInput:
    product: CylinderProduct
    quantity: int


def order_create(
    *,
    customer: Customer,
    delivery_date: datetime.date,
    lines: Sequence[OrderLineInput],
    slot: str | None = None,
    notes: str = "",
    created_by: AbstractBaseUser | None = None,
) -> Order:
    """Create a pending order with its lines at today's prices. Needs an active customer and ≥ 1 line."""
    if not customer.is_active:
        raise ValidationError({"customer": _("This customer is inactive.")})
    if not lines:
        raise ValidationError({"lines": _("An order needs at least one line.")})
    for line in lines:
        if line.quantity < 1:
            raise ValidationError({"quantity": _("Quantity must be at least 1.")})
        if not line.product.is_active:
            raise ValidationError({"product": _("%(product)s is no longer sold.") % {"product": line.product}})
    with transaction.atomic():
        order = Order.objects.create(
            customer=customer,
            delivery_date=delivery_date,
            slot=slot or customer.preferred_slot,
            payment_method=customer.payment_method,
            notes=notes,
            created_by=created_by,
            status_changed_at=timezone.now(),
        )
        OrderLine.objects.bulk_create(
            OrderLine(order=order, product=line.product, quantity=line.quantity, unit_price=line.product.price)
            for line in lines
        )
        order.total_amount = sum(line.quantity * line.product.price for line in lines)
        order.save(update_fields=["total_amount"])
        events.publish_on_commit(events.ORDER_CREATED, order_id=order.pk)
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
        events.publish_on_commit(events.ORDER_CREATED if is_new else events.ORDER_UPDATED, order_id=order.pk)
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
        events.publish_on_commit(
            events.ORDER_STATUS_CHANGED, order_id=locked.pk, from_status=order.status, to_status=to_status
        )
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


def route_get_or_create(*, driver: Driver, date: datetime.date) -> Route:
    route, _created = Route.objects.get_or_create(
        driver=driver, date=date, defaults={"vehicle": driver.default_vehicle}
    )
    return route


def route_assign_orders(
    *, driver: Driver, date: datetime.date, orders: Iterable[Order], actor: AbstractBaseUser | None = None
) -> Route:
    """Append confirmed orders to the driver's route for the day, as stops in the given order.

    Every order must be confirmed and not yet on a route; otherwise nothing is assigned.
    """
    if not driver.is_active:
        raise ValidationError({"driver": _("This driver is inactive.")})
    order_ids = [order.pk for order in orders]
    with transaction.atomic():
        route = route_get_or_create(driver=driver, date=date)
        Route.objects.select_for_update().filter(pk=route.pk).get()
        locked = {
            order.pk: order for order in Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk")
        }
        problems = [
            str(locked[order_id])
            for order_id in order_ids
            if locked[order_id].status != OrderStatus.CONFIRMED or RouteStop.objects.filter(order_id=order_id).exists()
        ]
        if problems:
            raise ValidationError(
                {
                    "orders": _("Only confirmed orders that are not on a route can be assigned: %(orders)s")
                    % {"orders": ", ".join(problems)}
                }
            )
        next_sequence = (route.stops.aggregate(last=Max("sequence"))["last"] or 0) + 1
        for offset, order_id in enumerate(order_ids):
            RouteStop.objects.create(route=route, order=locked[order_id], sequence=next_sequence + offset)
            order_transition(order=locked[order_id], to_status=OrderStatus.SCHEDULED, actor=actor)
        events.publish_on_commit(events.ROUTE_CHANGED, route_id=route.pk)
    return route


def route_start(*, route: Route, actor: AbstractBaseUser | None = None) -> Route:
    """The driver leaves the depot: scheduled orders on the route go out for delivery."""
    with transaction.atomic():
        Route.objects.select_for_update().filter(pk=route.pk).update(status="in_progress")
        # Stops and their orders locked in the push's order (stop pk, a stop before its order).
        stops = route_stops_lock(stop_ids=route.stops.values_list("pk", flat=True))
        for stop in stops.values():
            if stop.order.status == OrderStatus.SCHEDULED:
                order_transition(order=stop.order, to_status=OrderStatus.OUT_FOR_DELIVERY, actor=actor)
        events.publish_on_commit(events.ROUTE_CHANGED, route_id=route.pk)
    route.refresh_from_db()
    return route


def route_stop_reorder(*, route: Route, stop_ids: Sequence[int]) -> Route:
    """Give the route's stops a new order; every stop of the route must be listed once."""
    with transaction.atomic():
        stops = {stop.pk: stop for stop in RouteStop.objects.select_for_update().filter(route=route).order_by("pk")}
        if sorted(stop_ids) != sorted(stops):
            raise ValidationError({"stop_ids": _("List every stop of the route exactly once.")})
        for sequence, stop_id in enumerate(stop_ids, start=1):
            if stops[stop_id].sequence != sequence:
                RouteStop.objects.filter(pk=stop_id).update(sequence=sequence, version=F("version") + 1)
        events.publish_on_commit(events.ROUTE_CHANGED, route_id=route.pk)
    return route


def route_stop_reassign(*, stop: RouteStop, route: Route, actor: AbstractBaseUser | None = None) -> RouteStop:
    """Move a stop that is not final to another route of the same day, as its last stop; raises its version.

    The old driver's phone sees the stop removed (and gets a conflict for anything it still
    sends about it), the new driver's phone sees it added.
    """
    with transaction.atomic():
        routes = {
            locked.pk: locked
            for locked in Route.objects.select_for_update().filter(pk__in=[stop.route_id, route.pk]).order_by("pk")
        }
        locked_stop = route_stops_lock(stop_ids=[stop.pk])[stop.pk]
        target = routes[route.pk]
        if locked_stop.route_id == target.pk:
            raise ValidationError({"route": _("The stop is already on this route.")})
        if locked_stop.is_final:
            raise ValidationError(
                {
                    "route": _("A stop that is already %(status)s cannot be moved.")
                    % {"status": StopStatus(locked_stop.status).label}
                }
            )
        if target.date != locked_stop.route.date:
            raise ValidationError({"route": _("Choose a route of the same day as the stop's route.")})
        if target.status == RouteStatus.COMPLETED:
            raise ValidationError({"route": _("This route is completed.")})
        if not target.driver.is_active:
            raise ValidationError({"route": _("This route's driver is inactive.")})
        old_route_id = locked_stop.route_id
        sequence = (target.stops.aggregate(last=Max("sequence"))["last"] or 0) + 1
        RouteStop.objects.filter(pk=locked_stop.pk).update(
            route=target, sequence=sequence, version=F("version") + 1, updated_at=timezone.now()
        )
        if target.status == RouteStatus.IN_PROGRESS and locked_stop.order.status == OrderStatus.SCHEDULED:
            order_transition(order=locked_stop.order, to_status=OrderStatus.OUT_FOR_DELIVERY, actor=actor)
        events.publish_on_commit(events.ROUTE_CHANGED, route_id=old_route_id)
        events.publish_on_commit(events.ROUTE_CHANGED, route_id=target.pk)
    stop.refresh_from_db()
    return stop


def _stop_set_status(*, stop: RouteStop, status: str, note: str = "") -> None:
    RouteStop.objects.filter(pk=stop.pk).update(
        status=status,
        outcome_note=note[:200] or stop.outcome_note,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    events.publish_on_commit(events.STOP_CHANGED, stop_id=stop.pk, route_id=stop.route_id)


def route_stops_lock(*, stop_ids: Iterable[int]) -> dict[int, RouteStop]:
    """Lock stops and their orders (in stop pk order) for a `RouteStopBatch`; call inside `transaction.atomic()`."""
    return {
        stop.pk: stop
        for stop in RouteStop.objects.select_for_update(of=("self", "order"))
        .select_related("route", "order")
        .filter(pk__in=list(stop_ids))
        .order_by("pk")
    }


class RouteStopBatch:
    """Changes to stops locked by `route_stops_lock`, checked by the core's rules and saved together.

    Each change is checked against the stop's state after the changes recorded before it; a
    refused change raises and leaves the stop and its order untouched, so the caller can carry
    on with the next one. `save()` writes every change with a constant number of queries (it
    does not grow with the number of stops) inside the caller's transaction, and the events go
    out after it commits.
    """

    def __init__(self, *, actor: AbstractBaseUser | None = None, source: str = "") -> None:
        self.actor = actor
        # Passed on in the events, so an app that records its own changes can tell them apart.
        self.source = source
        self._stops: dict[int, RouteStop] = {}
        self._orders: dict[int, Order] = {}
        self._status_changes: list[OrderStatusChange] = []
        self._events: list[tuple[str, dict]] = []

    def record_outcome(
        self,
        *,
        stop: RouteStop,
        status: str,
        completed_at: datetime.datetime,
        cash_collected: int = 0,
        empties_collected: int = 0,
        note: str = "",
    ) -> RouteStop:
        """What happened at a stop. A final outcome never changes; the order follows the stop."""
        if status not in {StopStatus.DELIVERED, StopStatus.SKIPPED, StopStatus.FAILED}:
            raise ValidationError({"status": _("A driver can only deliver, skip or fail a stop.")})
        if cash_collected < 0 or empties_collected < 0:
            raise ValidationError({"cash_collected": _("Amounts cannot be negative.")})
        if stop.is_final:
            raise IllegalTransitionError(
                {"status": _("This stop is already %(status)s.") % {"status": StopStatus(stop.status).label}},
                code="final_stop",
            )
        order = stop.order
        path: list[str] = []
        if status in {StopStatus.DELIVERED, StopStatus.FAILED}:
            if order.status == OrderStatus.SCHEDULED:
                path.append(OrderStatus.OUT_FOR_DELIVERY)
            path.append(OrderStatus.DELIVERED if status == StopStatus.DELIVERED else OrderStatus.FAILED)
        current = order.status
        for to_status in path:  # every step is checked before anything changes
            _check_order_transition(order=order, from_status=current, to_status=to_status)
            current = to_status
        now = timezone.now()
        for to_status in path:
            self._status_changes.append(
                OrderStatusChange(
                    order=order,
                    from_status=order.status,
                    to_status=to_status,
                    changed_by=self.actor,
                    reason=note[:200] if to_status == path[-1] else "",
                )
            )
            self._events.append(
                (
                    events.ORDER_STATUS_CHANGED,
                    {"order_id": order.pk, "from_status": order.status, "to_status": to_status, "source": self.source},
                )
            )
            order.status = to_status
            order.status_changed_at = now
            if to_status == OrderStatus.DELIVERED:
                order.delivered_at = now
            order.updated_at = now
            self._orders[order.pk] = order
        stop.status = status
        stop.completed_at = completed_at
        stop.cash_collected += cash_collected
        stop.empties_collected += empties_collected
        stop.outcome_note = note[:200]
        self._bump(stop)
        self._events.append(
            (events.STOP_CHANGED, {"stop_id": stop.pk, "route_id": stop.route_id, "source": self.source})
        )
        return stop

    def add_cash(self, *, stop: RouteStop, amount: int) -> RouteStop:
        """Cash the driver collected at the stop (on top of any recorded with its outcome)."""
        if not isinstance(amount, int) or amount < 1:
            raise ValidationError({"amount": _("The amount must be a positive whole number of NT dollars.")})
        stop.cash_collected += amount
        return self._bump(stop)

    def add_empties(self, *, stop: RouteStop, count: int) -> RouteStop:
        """Empty cylinders the driver took back at the stop."""
        if not isinstance(count, int) or count < 1:
            raise ValidationError({"count": _("Count at least one empty cylinder.")})
        stop.empties_collected += count
        return self._bump(stop)

    def touch(self, *, stop: RouteStop) -> RouteStop:
        """Something was added to the stop (a driver's note, a photo): phones must see a new version."""
        return self._bump(stop)

    def _bump(self, stop: RouteStop) -> RouteStop:
        stop.version += 1
        stop.updated_at = timezone.now()
        self._stops[stop.pk] = stop
        return stop

    def save(self) -> None:
        """Write every recorded change in the caller's transaction: three queries at most."""
        with transaction.atomic(savepoint=False):
            if self._status_changes:
                OrderStatusChange.objects.bulk_create(self._status_changes)
            _update_rows(list(self._orders.values()), ["status", "status_changed_at", "delivered_at", "updated_at"])
            _update_rows(
                list(self._stops.values()),
                [
                    "status",
                    "completed_at",
                    "cash_collected",
                    "empties_collected",
                    "outcome_note",
                    "version",
                    "updated_at",
                ],
            )
            by_event: dict[str, list[dict]] = {}
            for event, payload in self._events:
                by_event.setdefault(event, []).append(payload)
            for event, payloads in by_event.items():  # one publication per kind: subscribers work in bulk
                events.publish_many_on_commit(event, payloads)
        self._stops, self._orders, self._status_changes, self._events = {}, {}, [], []


def _update_rows(objects: Sequence[Order] | Sequence[RouteStop], field_names: Sequence[str]) -> None:
    """Write the given fields of rows of one model in one UPDATE … FROM (VALUES …).

    Django's bulk_update builds a CASE WHEN expression per field and row, which costs more
    Python time than the whole rest of a sync push; this is one plain statement instead.
    """
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":  # the embedded SQLite of `make run`
        model.objects.bulk_update(objects, field_names)
        return
    quote = connection.ops.quote_name
    fields = [model._meta.pk, *(model._meta.get_field(name) for name in field_names)]
    row = "(" + ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in fields) + ")"
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS target SET "  # noqa: S608 (names come from the model)
        + ", ".join(f"{quote(field.column)} = source.{quote(field.column)}" for field in fields[1:])
        + f" FROM (VALUES {', '.join([row] * len(objects))}) "
        + f"AS source ({', '.join(quote(field.column) for field in fields)}) "
        + f"WHERE target.{quote(fields[0].column)} = source.{quote(fields[0].column)}"
    )
    params = [
        field.get_db_prep_save(getattr(instance, field.attname), connection) for instance in objects for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _check_order_transition(*, order: Order, from_status: str, to_status: str) -> None:
    if to_status not in ALLOWED_ORDER_TRANSITIONS[from_status]:
        raise IllegalTransitionError(
            {
                "status": _("Order %(order)s cannot go from %(from)s to %(to)s.")
                % {
                    "order": order,
                    "from": OrderStatus(from_status).label,
                    "to": OrderStatus(to_status).label if to_status in OrderStatus.values else to_status,
                }
            },
            code="illegal_transition",
        )


def route_stop_record_outcome(
    *,
    stop: RouteStop,
    status: str,
    completed_at: datetime.datetime,
    cash_collected: int = 0,
    empties_collected: int = 0,
    note: str = "",
    actor: AbstractBaseUser | None = None,
) -> RouteStop:
    """Record what happened at a stop. A final outcome never changes; the order follows the stop."""
    with transaction.atomic():
        locked = route_stops_lock(stop_ids=[stop.pk])[stop.pk]
        batch = RouteStopBatch(actor=actor)
        batch.record_outcome(
            stop=locked,
            status=status,
            completed_at=completed_at,
            cash_collected=cash_collected,
            empties_collected=empties_collected,
            note=note,
        )
        batch.save()
    stop.refresh_from_db()
    return stop


def invoice_create(
    *, customer: Customer, number: str, issue_date: datetime.date, due_date: datetime.date, orders: Sequence[Order]
) -> Invoice:
    """Invoice delivered, not yet invoiced orders of one customer."""
    with transaction.atomic():
        locked = list(Order.objects.select_for_update().filter(pk__in=[o.pk for o in orders]).order_by("pk"))
        if not locked:
            raise ValidationError({"orders": _("An invoice needs at least one order.")})
        for order in locked:
            if order.customer_id != customer.pk:
                raise ValidationError({"orders": _("Order %(order)s belongs to another customer.") % {"order": order}})
            if order.status != OrderStatus.DELIVERED or order.invoice_id:
                raise ValidationError(
                    {"orders": _("Order %(order)s is not delivered or already invoiced.") % {"order": order}}
                )
        invoice = Invoice(
            customer=customer,
            number=number,
            issue_date=issue_date,
            due_date=due_date,
            amount=sum(order.total_amount for order in locked),
        )
        invoice.full_clean()
        invoice.save()
        Order.objects.filter(pk__in=[order.pk for order in locked]).update(invoice=invoice)
    return invoice


def invoice_record_payment(
    *,
    invoice: Invoice,
    amount: int,
    channel: str,
    received_at: datetime.datetime | None = None,
    reference: str = "",
    actor: AbstractBaseUser | None = None,
) -> Payment:
    """Record a payment; the invoice is paid once payments cover its amount.

    With a `reference` the call is idempotent: the same reference returns the first payment.
    """
    if not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount": _("The amount must be a positive whole number of NT dollars.")})
    if channel not in PaymentChannel.values:
        raise ValidationError({"channel": _("Unknown payment channel.")})
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if reference:
            existing = Payment.objects.filter(reference=reference).first()
            if existing is not None:
                return existing
        if locked.status == InvoiceStatus.VOID:
            raise ValidationError({"invoice": _("This invoice is void.")})
        payment = Payment.objects.create(
            invoice=locked,
            amount=amount,
            channel=channel,
            received_at=received_at or timezone.now(),
            reference=reference,
            recorded_by=actor,
        )
        paid_total = sum(locked.payments.values_list("amount", flat=True))
        if locked.status == InvoiceStatus.OPEN and paid_total >= locked.amount:
            locked.status = InvoiceStatus.PAID
            locked.paid_at = payment.received_at
            locked.save(update_fields=["status", "paid_at", "updated_at"])
            events.publish_on_commit(events.INVOICE_PAID, invoice_id=locked.pk)
        events.publish_on_commit(events.PAYMENT_RECORDED, payment_id=payment.pk, invoice_id=locked.pk)
    invoice.refresh_from_db()
    return payment


def invoice_mark_paid(
    *, invoice: Invoice, channel: str = PaymentChannel.BANK_TRANSFER, actor: AbstractBaseUser | None = None
) -> Payment | None:
    """Record a payment of the open balance of an open invoice (the admin's 'mark paid' action)."""
    locked_balance = invoice.amount - sum(invoice.payments.values_list("amount", flat=True))
    if invoice.status != InvoiceStatus.OPEN:
        raise ValidationError({"status": _("Invoice %(number)s is not open.") % {"number": invoice.number}})
    if locked_balance <= 0:
        return None
    return invoice_record_payment(invoice=invoice, amount=locked_balance, channel=channel, actor=actor)


__all__ = [
    "ALLOWED_ORDER_TRANSITIONS",
    "FINAL_STOP_STATUSES",
    "IllegalTransitionError",
    "OrderLineInput",
    "RouteStopBatch",
    "invoice_create",
    "invoice_mark_paid",
    "invoice_record_payment",
    "order_cancel",
    "order_confirm",
    "order_create",
    "order_recalculate_total",
    "order_replace_lines",
    "order_transition",
    "route_assign_orders",
    "route_get_or_create",
    "route_start",
    "route_stop_reassign",
    "route_stop_record_outcome",
    "route_stop_reorder",
    "route_stops_lock",
]
