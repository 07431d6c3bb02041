"""Stops: locking, the batch of checked changes (a driver's sync push, the office), outcomes."""

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery import events
from luckygas.delivery.models import (
    Order,
    OrderStatus,
    OrderStatusChange,
    RouteStop,
    StopStatus,
)
from luckygas.delivery.services.transitions import IllegalTransitionError, _check_order_transition, _update_rows


def _stop_set_status(*, stop: RouteStop, status: str, note: str = "") -> None:
    RouteStop.objects.filter(pk=stop.pk).update(
        status=status,
        outcome_note=note[:200] or stop.outcome_note,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    events.publish(events.StopChanged(stop_id=stop.pk, route_id=stop.route_id))


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
        self._events: list[events.OrderStatusChanged | events.StopChanged] = []

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
                events.OrderStatusChanged(
                    order_id=order.pk, from_status=order.status, to_status=to_status, source=self.source
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
        self._events.append(events.StopChanged(stop_id=stop.pk, route_id=stop.route_id, source=self.source))
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
            by_event: dict[str, list[events.OrderStatusChanged | events.StopChanged]] = {}
            for payload in self._events:
                by_event.setdefault(events.EVENT_NAMES[type(payload)], []).append(payload)
            for event, payloads in by_event.items():  # one publication per kind: subscribers work in bulk
                events.publish_many_on_commit(event, payloads)
        self._stops, self._orders, self._status_changes, self._events = {}, {}, [], []


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
