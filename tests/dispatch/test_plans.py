import pytest
from django.core.exceptions import ValidationError

from dispatch.models import PlanDraft, PlanStatus
from dispatch.services import day_build, plan_publish, plan_run, plan_stop_lock, plan_stop_move, plan_stop_unplan
from luckygas.delivery.models import DeliverySlot, OrderStatus, RouteStop
from tests.dispatch.checker import check_plan
from tests.dispatch.conftest import confirmed_order, shift_for
from tests.offline_sync.factories import phone_for


@pytest.fixture
def day(office_clerk, driver_a, driver_b, depot, plan_date):
    shifts = [shift_for(driver_a, depot, plan_date), shift_for(driver_b, depot, plan_date)]
    orders = [
        confirmed_order(office_clerk, plan_date, east_m=300 * i, north_m=200 * (i % 3), empties=i % 2)
        for i in range(1, 7)
    ]
    orders.append(confirmed_order(office_clerk, plan_date, east_m=900, slot=DeliverySlot.MORNING))
    no_pin = confirmed_order(office_clerk, plan_date, latitude=None, longitude=None)
    closed = confirmed_order(office_clerk, plan_date, closed_days=[plan_date.weekday()])
    return {"shifts": shifts, "orders": orders, "no_pin": no_pin, "closed": closed}


def _draft(depot, plan_date):
    return PlanDraft.objects.create(date=plan_date, depot=depot, status=PlanStatus.QUEUED, time_limit_seconds=1)


def test_a_plan_routes_every_plannable_order_feasibly_and_says_why_the_others_are_not(day, depot, plan_date):
    plan = plan_run(plan=_draft(depot, plan_date))
    assert plan.status == PlanStatus.DRAFT
    assert plan.progress == 100
    assert sorted((u["order"], u["reason"]) for u in plan.unplanned) == sorted(
        [(day["no_pin"].pk, "no_coordinates"), (day["closed"].pk, "closed_day")]
    )
    built = day_build(date=plan_date, depot=depot)
    routes = {route["shift"]: [stop["order"] for stop in route["stops"]] for route in plan.routes}
    assert check_plan(problem=built.problem, routes=routes, unplanned={}) == []
    assert sorted(o for keys in routes.values() for o in keys) == sorted(o.pk for o in day["orders"])


def test_moving_a_stop_onto_a_full_truck_shows_the_violation_and_a_locked_stop_cannot_move(
    day, depot, plan_date, driver_a, driver_b
):
    plan = plan_run(plan=_draft(depot, plan_date))
    small = day["shifts"][0]
    small.capacity_slots = 2
    small.save()
    others = [o.pk for o in day["orders"]]
    for position, order_id in enumerate(others[:3]):
        violations = plan_stop_move(plan=plan, order_id=order_id, shift_id=small.pk, position=position)
    assert {"order": None, "shift": small.pk, "code": "capacity_slots"} in [
        {k: v[k] for k in ("order", "shift", "code")} for v in violations
    ]
    plan_stop_lock(plan=plan, order_id=others[0], is_locked=True)
    with pytest.raises(ValidationError) as error:
        plan_stop_move(plan=plan, order_id=others[0], shift_id=day["shifts"][1].pk, position=0)
    assert "order" in error.value.message_dict


def test_replanning_keeps_locked_stops_on_their_route_in_their_order(day, depot, plan_date):
    plan = plan_run(plan=_draft(depot, plan_date))
    route = plan.routes[0]
    first, second = route["stops"][-1]["order"], route["stops"][0]["order"]
    plan_stop_move(plan=plan, order_id=first, shift_id=route["shift"], position=0)
    plan_stop_move(plan=plan, order_id=second, shift_id=route["shift"], position=1)
    plan_stop_lock(plan=plan, order_id=first, is_locked=True)
    plan_stop_lock(plan=plan, order_id=second, is_locked=True)
    plan = plan_run(plan=plan, seconds=1)
    replanned = next(r for r in plan.routes if r["shift"] == route["shift"])
    assert [s["order"] for s in replanned["stops"] if s["is_locked"]] == [first, second]
    built = day_build(date=plan_date, depot=depot)
    routes = {r["shift"]: [s["order"] for s in r["stops"]] for r in plan.routes}
    assert (
        check_plan(problem=built.problem, routes=routes, unplanned={}, locked={route["shift"]: [first, second]}) == []
    )


def test_a_stop_locked_fifth_of_eight_behind_four_locked_stops_stays_fifth_among_them(
    office_clerk, driver_a, depot, plan_date
):
    # given one truck and eight orders, all on its route, the first five locked where they are
    shift = shift_for(driver_a, depot, plan_date, kg=1000, slots=40)
    orders = [confirmed_order(office_clerk, plan_date, east_m=250 * i, north_m=150 * (i % 2)) for i in range(1, 9)]
    plan = plan_run(plan=_draft(depot, plan_date))
    for position, order in enumerate(reversed(orders)):  # an order the solver would never choose: far ones first
        plan_stop_move(plan=plan, order_id=order.pk, shift_id=shift.pk, position=position)
    locked = [stop["order"] for stop in plan.routes[0]["stops"][:5]]
    for order_id in locked:
        plan_stop_lock(plan=plan, order_id=order_id, is_locked=True)
    # when the rest is re-optimized
    plan = plan_run(plan=plan, seconds=1)
    # then the fifth locked stop still comes after the four locked before it, every lock kept and flagged
    route = [stop["order"] for stop in plan.routes[0]["stops"]]
    assert [order_id for order_id in route if order_id in locked] == locked
    assert [stop["order"] for stop in plan.routes[0]["stops"] if stop["is_locked"]] == locked
    assert sorted(route) == sorted(order.pk for order in orders)
    built = day_build(date=plan_date, depot=depot)
    assert check_plan(problem=built.problem, routes={shift.pk: route}, unplanned={}, locked={shift.pk: locked}) == []


def test_publish_puts_the_stops_on_the_drivers_phones_in_planned_order_with_arrival_windows(
    day, depot, plan_date, driver_a, django_capture_on_commit_callbacks
):
    plan = plan_run(plan=_draft(depot, plan_date))
    phone = phone_for(driver_a)
    cursor = phone.client.get("/api/v1/driver/changes", {"cursor": 0}).json()["cursor"]
    with django_capture_on_commit_callbacks(execute=True):
        routes = plan_publish(plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PUBLISHED
    assert len(routes) == len(plan.routes)
    planned = next(r for r in plan.routes if r["shift"] == day["shifts"][0].pk)
    expected_stops = [RouteStop.objects.get(order_id=s["order"]) for s in planned["stops"]]
    assert [s.route.driver_id for s in expected_stops] == [driver_a.pk] * len(expected_stops)
    assert [s.sequence for s in expected_stops] == list(range(1, len(expected_stops) + 1))
    for stop, draft in zip(expected_stops, planned["stops"], strict=True):
        assert stop.planned_arrival_start.strftime("%H:%M") == draft["window_start"]
        assert stop.planned_arrival_end.strftime("%H:%M") == draft["window_end"]
        assert stop.order.status == OrderStatus.SCHEDULED
    body = phone.client.get("/api/v1/driver/changes", {"cursor": cursor}).json()
    route_changes = [c for c in body["changes"] if c["kind"] == "route_changed"]
    assert route_changes
    assert [row[0] for row in route_changes[-1]["data"]["stops"]] == [s.pk for s in expected_stops]
    with pytest.raises(ValidationError):
        plan_publish(plan=plan)


def test_the_demo_depot_and_shifts_are_seeded_once_per_date(driver_a, driver_b, plan_date):
    from dispatch.demo import demo_depot_and_shifts

    depot, shifts = demo_depot_and_shifts(date=plan_date)
    again_depot, again = demo_depot_and_shifts(date=plan_date)
    assert again_depot == depot
    assert [s.pk for s in again] == [s.pk for s in shifts]
    assert {s.driver_id for s in shifts} == {driver_a.pk, driver_b.pk}


def test_the_plan_task_runs_a_queued_plan_once(day, depot, plan_date):
    from dispatch.tasks import plan_run_task

    plan = _draft(depot, plan_date)
    plan_run_task.run(plan.pk)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    first = plan.updated_at
    plan_run_task.run(plan.pk)  # a second delivery finds it no longer queued
    plan.refresh_from_db()
    assert plan.updated_at == first


def test_publish_sends_the_arrival_window_sms_except_to_opted_out_customers(day, depot, plan_date, settings):
    from cryptography.fernet import Fernet

    from sms.models import Message, Template, TemplateVariant
    from sms.services.recipients import opt_out_add

    settings.SMS_BODY_KEYS = Fernet.generate_key().decode()
    template = Template.objects.create(name="delivery_arrival_window", priority="normal")
    TemplateVariant.objects.create(template=template, label="A", body="您的瓦斯預計 {arrival_start}–{arrival_end} 送達")
    plan = plan_run(plan=_draft(depot, plan_date))
    refusing = day["orders"][0].customer
    opt_out_add(phone=refusing.mobile)
    plan_publish(plan=plan, send_arrival_sms=True)
    sent = Message.objects.exclude(status="failed")
    assert sent.count() == len(day["orders"]) - 1
    assert not sent.filter(customer=refusing).exists()


def test_publish_with_sms_but_no_template_names_the_field_and_changes_nothing(day, depot, plan_date):
    plan = plan_run(plan=_draft(depot, plan_date))
    with pytest.raises(ValidationError) as error:
        plan_publish(plan=plan, send_arrival_sms=True)
    assert "send_arrival_sms" in error.value.message_dict
    assert not RouteStop.objects.exists()


def test_an_order_already_on_a_drivers_route_cannot_be_unplanned_only_moved(
    office_clerk, driver_a, driver_b, depot, plan_date
):
    # given an order the office put on driver A's route before planning
    from luckygas.delivery.services import route_assign_orders

    shifts = [shift_for(driver_a, depot, plan_date), shift_for(driver_b, depot, plan_date)]
    order = confirmed_order(office_clerk, plan_date, east_m=400)
    route_assign_orders(driver=driver_a, date=plan_date, orders=[order], actor=office_clerk)
    plan = plan_run(plan=_draft(depot, plan_date))
    before = (plan.routes, plan.unplanned)
    # when the dispatcher tries to take it off the routes
    with pytest.raises(ValidationError) as error:
        plan_stop_unplan(plan=plan, order_id=order.pk)
    # then it is refused naming the order (publishing could not take it off the phone's route), nothing changed
    assert list(error.value.message_dict) == ["order"]
    plan.refresh_from_db()
    assert (plan.routes, plan.unplanned) == before
    assert plan_stop_move(plan=plan, order_id=order.pk, shift_id=shifts[1].pk, position=0) == []
