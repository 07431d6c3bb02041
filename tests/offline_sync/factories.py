"""Builders for sync tests: a driver's started route, a registered device, actions."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from luckygas.delivery import services as delivery_services
from luckygas.delivery.models import Driver, Route, RouteStop
from offline_sync import services
from tests.delivery.factories import OrderFactory

PASSWORD = "correct horse battery"


def started_route(driver: Driver, *, stops: int = 3, date: Any = None) -> Route:
    """A route for `driver` with `stops` confirmed orders, started (orders out for delivery)."""
    date = date or timezone.localdate()
    orders = []
    for _index in range(stops):
        order = OrderFactory(delivery_date=date, notes="後門進出")
        delivery_services.order_confirm(order=order)
        orders.append(order)
    route = delivery_services.route_assign_orders(driver=driver, date=date, orders=orders)
    return delivery_services.route_start(route=route)


@dataclass
class Phone:
    """A driver's phone: its device, an authenticated client and its own action numbering."""

    device: Any
    token: str
    client: APIClient
    next_seq: int = 1
    sent: list[dict[str, Any]] = field(default_factory=list)

    def action(self, action_type: str, stop: RouteStop | int, *, base_version: int | None = None, **payload: Any):
        stop_id = stop if isinstance(stop, int) else stop.pk
        version = base_version if base_version is not None else (1 if isinstance(stop, int) else stop.version)
        body = {
            "id": str(uuid.uuid4()),
            "seq": self.next_seq,
            "type": action_type,
            "stop": stop_id,
            "base_version": version,
            "occurred_at": timezone.now().isoformat(),
            "payload": payload,
        }
        self.next_seq += 1
        return body

    def push(self, *actions: dict[str, Any], sent_at: str | None = None):
        data: dict[str, Any] = {"actions": list(actions)}
        if sent_at:
            data["sent_at"] = sent_at
        return self.client.post("/api/v1/driver/sync", data, format="json")


def phone_for(driver: Driver, *, name: str = "") -> Phone:
    device, token = services.device_register(
        username=driver.user.username, password=PASSWORD, device_id=uuid.uuid4(), name=name
    )
    client = APIClient()
    # Messages in English so tests can assert them; the app's default is Traditional Chinese.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return Phone(device=device, token=token, client=client)
