"""Publish a draft: routes and stops through the core services, in one transaction, with arrival windows."""

from __future__ import annotations

import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import PlanDraft, PlanStatus, VehicleShift
from luckygas.delivery import events
from luckygas.delivery.models import Order, Route, RouteStop
from luckygas.delivery.services import route_assign_orders, route_get_or_create, route_stop_reassign, route_stop_reorder
from sms.models import Template
from sms.services.enqueue import TemplatedMessage, messages_enqueue_from_template

# 「您的瓦斯預計 {arrival_start}–{arrival_end} 送達」; also order_number and customer_name.
ARRIVAL_SMS_TEMPLATE = "delivery_arrival_window"


def _time(text: str) -> datetime.time:
    hours, minutes = (int(part) for part in text.split(":"))
    return datetime.time(min(hours, 23), minutes if hours < 24 else 59)


def plan_publish(
    *, plan: PlanDraft, actor: AbstractBaseUser | None = None, send_arrival_sms: bool = False
) -> list[Route]:
    """Create or update each shift's route to the draft's stops in order; all or nothing.

    Orders not yet on a route are assigned (they must still be confirmed), orders on another route are moved
    there, each route's stops are renumbered in the draft's order (done stops first, as they were), and each
    stop gets its planned arrival window. Phones see it through the core services' change feed and events.
    With `send_arrival_sms`, each customer gets the arrival-window SMS through the SMS app's template (opted-out
    numbers are not sent to; once per stop and window), written in the same transaction and sent after commit.
    """
    published: list[Route] = []
    template = None
    if send_arrival_sms:
        template = Template.objects.filter(name=ARRIVAL_SMS_TEMPLATE, is_active=True).first()
        if template is None:
            raise ValidationError(
                {
                    "send_arrival_sms": _("The SMS template %(name)s is missing or inactive.")
                    % {"name": ARRIVAL_SMS_TEMPLATE}
                }
            )
    messages: list[TemplatedMessage] = []
    windows_changed: list[events.StopChanged] = []
    with transaction.atomic():
        locked = PlanDraft.objects.select_for_update().get(pk=plan.pk)
        if locked.status != PlanStatus.DRAFT:
            raise ValidationError({"plan": _("Only a draft can be published.")})
        shifts = VehicleShift.objects.in_bulk([route["shift"] for route in locked.routes])
        for planned in locked.routes:
            shift = shifts[planned["shift"]]
            route = route_get_or_create(driver=shift.driver, date=locked.date)
            if route.vehicle_id != shift.vehicle_id:
                Route.objects.filter(pk=route.pk).update(vehicle=shift.vehicle, updated_at=timezone.now())
            order_ids = [stop["order"] for stop in planned["stops"]]
            stops = {stop.order_id: stop for stop in RouteStop.objects.filter(order_id__in=order_ids)}
            new_orders = [
                order for order in Order.objects.filter(pk__in=order_ids).order_by("pk") if order.pk not in stops
            ]
            for order_id in order_ids:
                if order_id in stops and stops[order_id].route_id != route.pk:
                    route_stop_reassign(stop=stops[order_id], route=route, actor=actor)
            if new_orders:
                route_assign_orders(driver=shift.driver, date=locked.date, orders=new_orders, actor=actor)
            by_order = {
                stop.order_id: stop for stop in RouteStop.objects.filter(route=route).select_related("order__customer")
            }
            others = sorted((s for o, s in by_order.items() if o not in order_ids), key=lambda s: s.sequence)
            route_stop_reorder(route=route, stop_ids=[s.pk for s in others] + [by_order[o].pk for o in order_ids])
            for stop in planned["stops"]:
                RouteStop.objects.filter(pk=by_order[stop["order"]].pk).update(
                    planned_arrival_start=_time(stop["window_start"]),
                    planned_arrival_end=_time(stop["window_end"]),
                    version=F("version") + 1,
                )
                stop_row = by_order[stop["order"]]
                # The phones learn the new window through the change feed, as for any office change of a stop.
                windows_changed.append(events.StopChanged(stop_id=stop_row.pk, route_id=route.pk))
                messages.append(
                    TemplatedMessage(
                        idempotency_key=f"dispatch-arrival:{stop_row.pk}:{stop['window_start']}-{stop['window_end']}",
                        customer=stop_row.order.customer,
                        context={
                            "arrival_start": stop["window_start"],
                            "arrival_end": stop["window_end"],
                            "order_number": stop_row.order_id,
                            "customer_name": stop_row.order.customer.short_name,
                        },
                    )
                )
            published.append(route)
        events.publish_many_on_commit(events.STOP_CHANGED, windows_changed)
        if template is not None and messages:
            messages_enqueue_from_template(template=template, messages=messages)
        locked.status, locked.published_at = PlanStatus.PUBLISHED, timezone.now()
        locked.save(update_fields=["status", "published_at", "updated_at"])
    plan.refresh_from_db()
    return published
