"""Recurring orders: when a template is due, and the run that turns due templates into orders."""

import calendar
import datetime
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery.models import (
    Customer,
    OrderTemplate,
    OrderTemplateLine,
    Recurrence,
    RecurringOrder,
    RecurringOutcome,
)
from luckygas.delivery.services.orders import OrderLineInput, order_create

logger = logging.getLogger(__name__)


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def order_template_is_due(*, template: OrderTemplate, on: datetime.date) -> bool:
    """Whether the template's rule gives `on` (its first and last dates included; closed days not considered)."""
    if on < template.starts_on or (template.ends_on and on > template.ends_on):
        return False
    interval = max(template.interval, 1)
    start = template.starts_on
    if template.recurrence == Recurrence.DAILY:
        return (on - start).days % interval == 0
    if template.recurrence == Recurrence.WEEKLY:
        weekdays = template.weekdays or [start.weekday()]
        weeks = ((on - datetime.timedelta(days=on.weekday())) - (start - datetime.timedelta(days=start.weekday()))).days
        return on.weekday() in weekdays and (weeks // 7) % interval == 0
    months = _month_index(on) - _month_index(start)
    wanted = template.day_of_month or start.day
    last_day = calendar.monthrange(on.year, on.month)[1]
    return months % interval == 0 and on.day == min(wanted, last_day)


def order_template_next_dates(
    *, template: OrderTemplate, after: datetime.date, count: int = 5, horizon_days: int = 800
) -> list[datetime.date]:
    """The next `count` dates the template is due, after `after` (closed days included: they are skipped later)."""
    dates: list[datetime.date] = []
    day = max(after + datetime.timedelta(days=1), template.starts_on)
    for _offset in range(horizon_days):
        if template.ends_on and day > template.ends_on:
            break
        if order_template_is_due(template=template, on=day):
            dates.append(day)
            if len(dates) == count:
                break
        day += datetime.timedelta(days=1)
    return dates


def order_template_create(
    *,
    customer: Customer,
    name: str,
    lines: Sequence[OrderLineInput],
    starts_on: datetime.date,
    recurrence: str = Recurrence.WEEKLY,
    interval: int = 1,
    weekdays: Sequence[int] = (),
    day_of_month: int | None = None,
    ends_on: datetime.date | None = None,
    slot: str = "",
    priority: str = "normal",
    payment_method: str = "",
    delivery_notes: str = "",
    created_by: AbstractBaseUser | None = None,
) -> OrderTemplate:
    """A template with its lines, validated as the admin form validates it (raises naming the field)."""
    if not lines:
        raise ValidationError({"lines": _("A template needs at least one line.")})
    template = OrderTemplate(
        customer=customer,
        name=name,
        recurrence=recurrence,
        interval=interval,
        weekdays=list(weekdays),
        day_of_month=day_of_month,
        starts_on=starts_on,
        ends_on=ends_on,
        slot=slot,
        priority=priority,
        payment_method=payment_method,
        delivery_notes=delivery_notes,
        created_by=created_by,
    )
    template.full_clean()
    with transaction.atomic():
        template.save()
        template_lines = [
            OrderTemplateLine(template=template, product=line.product, quantity=line.quantity) for line in lines
        ]
        for line in template_lines:
            line.full_clean(exclude=["template"])
        OrderTemplateLine.objects.bulk_create(template_lines)
    return template


@dataclass
class RecurringRun:
    date: datetime.date
    created: list[RecurringOrder] = field(default_factory=list)
    skipped: list[RecurringOrder] = field(default_factory=list)
    already_done: int = 0


def _due_templates(on: datetime.date, template_ids: Sequence[int] | None) -> Iterator[OrderTemplate]:
    candidates = (
        OrderTemplate.objects.filter(is_active=True, starts_on__lte=on, customer__is_active=True)
        .exclude(ends_on__lt=on)
        .exclude(occurrences__date=on)
        .select_related("customer")
        .prefetch_related("lines__product")
        .order_by("pk")
    )
    if template_ids is not None:
        candidates = candidates.filter(pk__in=list(template_ids))
    for template in candidates.iterator(chunk_size=200):
        if order_template_is_due(template=template, on=on):
            yield template


def _claim_and_create(
    *, template: OrderTemplate, on: datetime.date, actor: AbstractBaseUser | None
) -> RecurringOrder | None:
    """One template on one date, in one transaction: the claim row and its order commit together or not at all."""
    try:
        with transaction.atomic():
            occurrence = RecurringOrder.objects.create(template=template, date=on, outcome=RecurringOutcome.CREATED)
            if on.weekday() in (template.customer.closed_days or []):
                occurrence.outcome = RecurringOutcome.CLOSED
                occurrence.reason = _("The customer does not receive deliveries on this weekday.")
                occurrence.save(update_fields=["outcome", "reason"])
                return occurrence
            lines = [OrderLineInput(product=line.product, quantity=line.quantity) for line in template.lines.all()]
            try:
                with transaction.atomic():
                    occurrence.order = order_create(
                        customer=template.customer,
                        delivery_date=on,
                        lines=lines,
                        slot=template.slot or None,
                        notes=template.delivery_notes,
                        created_by=actor,
                        payment_method=template.payment_method or None,
                        priority=template.priority,
                    )
            except ValidationError as error:
                occurrence.outcome = RecurringOutcome.REFUSED
                occurrence.reason = "; ".join(error.messages)[:200]
            occurrence.save(update_fields=["outcome", "order", "reason"])
            return occurrence
    except IntegrityError:
        # Another run claimed this template and date first: its order stands, none is added.
        return None


def recurring_orders_create_due(
    *,
    for_date: datetime.date,
    actor: AbstractBaseUser | None = None,
    template_ids: Sequence[int] | None = None,
) -> RecurringRun:
    """Create the orders every active template (or those of `template_ids`) is due for on `for_date`: at most
    one per template and date, none on the customer's closed days (recorded as skipped). Safe to run again
    and concurrently."""
    run = RecurringRun(date=for_date)
    for template in _due_templates(for_date, template_ids):
        occurrence = _claim_and_create(template=template, on=for_date, actor=actor)
        if occurrence is None:
            run.already_done += 1
        elif occurrence.outcome == RecurringOutcome.CREATED:
            run.created.append(occurrence)
        else:
            run.skipped.append(occurrence)
    logger.info(
        "recurring orders for %s: %d created, %d skipped, %d already done",
        for_date,
        len(run.created),
        len(run.skipped),
        run.already_done,
    )
    return run


def recurring_orders_create_for_tomorrow(
    *, actor: AbstractBaseUser | None = None, template_ids: Sequence[int] | None = None
) -> RecurringRun:
    """The evening run: tomorrow in Asia/Taipei."""
    return recurring_orders_create_due(
        for_date=timezone.localdate() + datetime.timedelta(days=1), actor=actor, template_ids=template_ids
    )
