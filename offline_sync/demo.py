"""Demo data for the driver sync: a phone per demo driver, a morning of synced work, GPS
points for the map, cash to reconcile and one conflict waiting in the dispatcher's queue.

Everything goes through the real services (login, push, locations), so the demo shows the
protocol itself. Idempotent: a device that already pushed is left alone, points are deduplicated.
"""

import datetime
import uuid
from typing import Any

from django.utils import timezone

from luckygas.delivery import services as delivery_services
from luckygas.delivery.demo import LATITUDE_RANGE, LONGITUDE_RANGE
from luckygas.delivery.models import Driver, Route, RouteStop, StopStatus
from offline_sync import services

NAMESPACE = uuid.UUID("0b7f8a52-6f0e-4c1e-9a57-1f3e3c6d2b10")


def _action(
    *, username: str, seq: int, kind: str, stop: RouteStop, at: datetime.datetime, **payload: Any
) -> services.ActionInput:
    action_id = uuid.uuid5(NAMESPACE, f"{username}:{seq}")
    body = {
        "id": str(action_id),
        "seq": seq,
        "type": kind,
        "stop": stop.pk,
        "base_version": stop.version,
        "occurred_at": at.isoformat(),
        "payload": payload,
    }
    return services.ActionInput(
        id=action_id,
        seq=seq,
        body=body,
        action_type=kind,
        stop_id=stop.pk,
        base_version=stop.version,
        occurred_at=at,
        payload=payload,
    )


def _morning(*, username: str, stops: list[RouteStop], now: datetime.datetime, with_conflict: bool) -> list:
    if len(stops) < 2:
        return []
    minutes = datetime.timedelta(minutes=1)
    amount = stops[0].order.total_amount if stops[0].order.payment_method == "cash" else 0
    actions = [
        _action(username=username, seq=1, kind="complete", stop=stops[0], at=now - 50 * minutes, cash_collected=amount),
        _action(
            username=username, seq=2, kind="note", stop=stops[0], at=now - 49 * minutes, text="客戶說下次請先打電話"
        ),
        _action(username=username, seq=3, kind="collect_cash", stop=stops[0], at=now - 48 * minutes, amount=100),
        _action(username=username, seq=4, kind="skip", stop=stops[1], at=now - 30 * minutes, reason="店家還沒開門"),
    ]
    if with_conflict and len(stops) >= 3:
        # The office cancels a stop the phone already delivered offline: a conflict to resolve.
        actions.append(
            _action(
                username=username,
                seq=5,
                kind="complete",
                stop=stops[2],
                at=now - 20 * minutes,
                cash_collected=stops[2].order.total_amount,
            )
        )
        delivery_services.order_cancel(order=stops[2].order, reason="客戶來電取消")
    return actions


def seed_demo_data(*, password: str, stdout: Any) -> None:
    today = timezone.localdate()
    now = timezone.now()
    drivers = list(Driver.objects.filter(user__username__regex=r"^driver\d+$").select_related("user").order_by("pk"))
    for number, driver in enumerate(drivers):
        username = driver.user.username
        try:
            device, _token = services.device_register(
                username=username, password=password, device_id=uuid.uuid5(NAMESPACE, username), name="示範手機"
            )
        except services.DeviceLoginError:
            continue
        route = Route.objects.filter(driver=driver, date=today).first()
        stops: list[RouteStop] = []
        if route is not None:
            services.stop_assignments_record(driver=driver, stop_ids=list(route.stops.values_list("pk", flat=True)))
            stops = list(route.stops.select_related("order").filter(status=StopStatus.PENDING).order_by("sequence")[:3])
        if device.next_seq == 1:
            actions = _morning(username=username, stops=stops, now=now, with_conflict=number == 0)
            if actions:
                services.sync_push(device=device, actions=actions, sent_at=now)
        fraction = (number + 1) / (len(drivers) + 1)
        latitude = LATITUDE_RANGE[0] + (LATITUDE_RANGE[1] - LATITUDE_RANGE[0]) * fraction
        longitude = LONGITUDE_RANGE[0] + (LONGITUDE_RANGE[1] - LONGITUDE_RANGE[0]) * fraction
        services.location_points_append(
            device=device,
            points=[
                services.PointInput(
                    seq=index,
                    latitude=round(latitude + index * 0.0004, 6),
                    longitude=round(longitude + index * 0.0003, 6),
                    accuracy_m=10,
                    recorded_at=now - datetime.timedelta(minutes=60 - index * 3),
                    stop_id=stops[0].pk if stops else None,
                )
                for index in range(1, 21)
            ],
        )
    stdout.write(f"  offline sync: {len(drivers)} demo phones, a morning of synced work, GPS points")
