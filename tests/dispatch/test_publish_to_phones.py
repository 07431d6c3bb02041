"""Publishing a plan tells each phone its stops' arrival windows: in the change feed and in the route it reloads."""

from dispatch.models import PlanDraft, PlanStatus
from dispatch.services import plan_publish, plan_run
from luckygas.delivery.models import RouteStop
from tests.dispatch.conftest import confirmed_order, shift_for
from tests.offline_sync.factories import phone_for


def test_the_phone_sees_each_published_stops_arrival_window(
    office_clerk, driver_a, depot, plan_date, django_capture_on_commit_callbacks
):
    shift_for(driver_a, depot, plan_date)
    orders = [confirmed_order(office_clerk, plan_date, east_m=400 * i) for i in range(1, 4)]
    plan = plan_run(
        plan=PlanDraft.objects.create(date=plan_date, depot=depot, status=PlanStatus.QUEUED, time_limit_seconds=1)
    )
    phone = phone_for(driver_a)
    cursor = phone.client.get("/api/v1/driver/changes", {"cursor": 0}).json()["cursor"]

    with django_capture_on_commit_callbacks(execute=True):
        plan_publish(plan=plan)

    stops = {stop.pk: stop for stop in RouteStop.objects.filter(order__in=orders)}
    windows = {
        pk: (stop.planned_arrival_start.strftime("%H:%M"), stop.planned_arrival_end.strftime("%H:%M"))
        for pk, stop in stops.items()
    }
    changes = phone.client.get("/api/v1/driver/changes", {"cursor": cursor}).json()["changes"]
    told = {
        change["stop"]: (change["data"]["planned_arrival_start"], change["data"]["planned_arrival_end"])
        for change in changes
        if change["kind"] == "stop_changed"
    }
    assert told == windows
    route = phone.client.get("/api/v1/driver/route", {"date": plan_date.isoformat()}).json()["route"]
    assert {
        stop["id"]: (stop["planned_arrival_start"], stop["planned_arrival_end"]) for stop in route["stops"]
    } == windows
