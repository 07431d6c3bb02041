"""The planning page's API: every endpoint, bad input naming the field, who may plan, every plan checked."""

import pytest
from django.test import Client

from dispatch.models import PlanDraft, PlanStatus
from dispatch.services import day_build, plan_run
from luckygas.celery import app as celery_app
from luckygas.delivery import roles
from luckygas.delivery.models import DeliverySlot, RouteStop
from tests.dispatch.checker import check_plan
from tests.dispatch.conftest import confirmed_order, shift_for
from tests.offline_sync.factories import phone_for

API = "/api/v1/dispatch"


@pytest.fixture
def eager_celery():
    """The plan task runs where it is enqueued (after the request's commit), as a worker would run it."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def clerk_client(office_clerk) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(office_clerk)
    return client


@pytest.fixture
def day(office_clerk, driver_a, driver_b, depot, plan_date):
    shifts = [shift_for(driver_a, depot, plan_date), shift_for(driver_b, depot, plan_date)]
    orders = [
        confirmed_order(office_clerk, plan_date, east_m=300 * i, north_m=200 * (i % 3), empties=i % 2)
        for i in range(1, 7)
    ]
    orders.append(confirmed_order(office_clerk, plan_date, east_m=900, slot=DeliverySlot.MORNING))
    no_pin = confirmed_order(office_clerk, plan_date, latitude=None, longitude=None)
    return {"shifts": shifts, "orders": orders, "no_pin": no_pin}


def routes_of(plan: PlanDraft) -> dict[int, list[int]]:
    return {route["shift"]: [stop["order"] for stop in route["stops"]] for route in plan.routes}


def assert_feasible(
    plan: PlanDraft, *, fixed: dict[int, list[int]] | None = None, locked: dict[int, list[int]] | None = None
) -> None:
    """The independent checker agrees: every plannable order once, capacities, windows, shifts, locked stops."""
    problem = day_build(date=plan.date, depot=plan.depot).problem
    unplanned = {entry["order"]: entry["reason"] for entry in plan.unplanned}
    plannable = {job.key for job in problem.jobs}
    assert (
        check_plan(
            problem=problem,
            routes=routes_of(plan),
            unplanned={k: v for k, v in unplanned.items() if k in plannable},
            fixed=fixed,
            locked=locked,
        )
        == []
    )


@pytest.fixture
def draft(day, depot, plan_date) -> PlanDraft:
    """A solved draft (1 s of solver time; the API's shortest limit is 5 s) for the tests that change one."""
    plan = PlanDraft.objects.create(date=plan_date, depot=depot, status=PlanStatus.QUEUED, time_limit_seconds=1)
    return plan_run(plan=plan)


def plan_through_api(client: Client, depot, plan_date, django_capture_on_commit_callbacks) -> PlanDraft:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{API}/plans/",
            {"date": plan_date.isoformat(), "depot": depot.pk, "time_limit_seconds": 5},
            content_type="application/json",
        )
    assert response.status_code == 202
    return PlanDraft.objects.get(pk=response.json()["id"])


def test_the_day_lists_orders_with_reasons_shifts_and_no_plan_yet(clerk_client, day, depot, plan_date):
    response = clerk_client.get(f"{API}/day/", {"date": plan_date.isoformat(), "depot": depot.pk})

    assert response.status_code == 200
    body = response.json()
    assert [s["id"] for s in body["shifts"]] == [s.pk for s in day["shifts"]]
    reasons = {o["id"]: o["reason"] for o in body["orders"]}
    assert reasons[day["no_pin"].pk] == "no_coordinates"
    assert {reasons[o.pk] for o in day["orders"]} == {None}
    assert body["plan"] is None
    assert body["depot"]["name"] == "台北總倉"


@pytest.mark.parametrize(
    ("query", "field"),
    [({"depot": "1"}, "date"), ({"date": "2026-13-01"}, "date"), ({"date": "2026-12-07", "depot": "x"}, "depot")],
)
def test_the_day_refuses_bad_input_naming_the_field(clerk_client, depot, query, field):
    response = clerk_client.get(f"{API}/day/", query)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]


def test_a_plan_runs_as_a_task_and_comes_back_feasible_with_totals_and_reasons(
    clerk_client, day, depot, plan_date, eager_celery, django_capture_on_commit_callbacks
):
    plan = plan_through_api(clerk_client, depot, plan_date, django_capture_on_commit_callbacks)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert plan.time_limit_seconds == 5
    assert_feasible(plan)
    body = clerk_client.get(f"{API}/plans/{plan.pk}/").json()
    assert body["status"] == "draft"
    assert body["progress"] == 100
    assert body["violations"] == []
    assert [r["shift"]["id"] for r in body["routes"]] == [s.pk for s in day["shifts"]]
    assert sum(r["totals"]["stops"] for r in body["routes"]) == len(day["orders"])
    assert sum(r["totals"]["empties"] for r in body["routes"]) == sum(o.empties_to_collect for o in day["orders"])
    for route in body["routes"]:
        assert route["totals"]["late_stops"] == 0
        assert route["totals"]["cylinders"] == sum(s["cylinders"] for s in route["stops"])
        assert route["totals"]["kg"] == sum(s["kg"] for s in route["stops"])
    assert [(u["id"], u["reason"]) for u in body["unplanned"]] == [(day["no_pin"].pk, "no_coordinates")]
    assert body["unplanned"][0]["reason_label"] == "No map coordinates"
    day_body = clerk_client.get(f"{API}/day/", {"date": plan_date.isoformat(), "depot": depot.pk}).json()
    assert day_body["plan"] == {"id": plan.pk, "status": "draft"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"depot": 1, "time_limit_seconds": 5}, "date"),
        ({"date": "2026-12-07", "time_limit_seconds": 5}, "depot"),
        ({"date": "2026-12-07", "depot": 999999}, "depot"),
        ({"date": "2026-12-07", "depot": "DEPOT", "time_limit_seconds": 4}, "time_limit_seconds"),
        ({"date": "2026-12-07", "depot": "DEPOT", "time_limit_seconds": 301}, "time_limit_seconds"),
        ({"date": "2026-12-07", "depot": "DEPOT", "time_limit_seconds": "soon"}, "time_limit_seconds"),
    ],
)
def test_planning_refuses_bad_input_naming_the_field_and_creates_nothing(clerk_client, depot, body, field):
    body = {key: depot.pk if value == "DEPOT" else value for key, value in body.items()}

    response = clerk_client.post(f"{API}/plans/", body, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert PlanDraft.objects.count() == 0


def test_the_time_limit_has_a_default(clerk_client, depot, plan_date, django_capture_on_commit_callbacks):
    response = clerk_client.post(
        f"{API}/plans/", {"date": plan_date.isoformat(), "depot": depot.pk}, content_type="application/json"
    )

    assert response.status_code == 202
    assert PlanDraft.objects.get().time_limit_seconds == 30


def test_moving_a_stop_is_checked_at_once_and_the_violation_is_returned(clerk_client, day, draft):
    plan = draft
    planned = routes_of(plan)
    small = min(day["shifts"], key=lambda shift: len(planned.get(shift.pk, [])))
    small.capacity_slots = 0
    small.save()
    order = next(o for o in day["orders"] if o.pk not in planned.get(small.pk, []))

    response = clerk_client.post(
        f"{API}/plans/{plan.pk}/move/",
        {"order": order.pk, "shift": small.pk, "position": 0},
        content_type="application/json",
    )

    assert response.status_code == 200
    body = response.json()
    assert {"order": None, "shift": small.pk, "code": "capacity_slots"} in [
        {k: v[k] for k in ("order", "shift", "code")} for v in body["violations"]
    ]
    plan.refresh_from_db()
    assert routes_of(plan)[small.pk][0] == order.pk
    route = next(r for r in body["plan"]["routes"] if r["shift"]["id"] == small.pk)
    assert route["stops"][0]["id"] == order.pk
    assert "capacity_slots" in [v["code"] for v in route["violations"]]


def test_a_stop_dragged_back_is_unplanned_with_the_reason_stays_out_of_a_replan_and_can_be_planned_again(
    clerk_client, office_clerk, day, draft, eager_celery, django_capture_on_commit_callbacks
):
    plan = draft
    shift, keys = next((shift, keys) for shift, keys in routes_of(plan).items() if keys)
    order = keys[0]

    # when the dispatcher drags it back to the unplanned orders
    response = clerk_client.post(f"{API}/plans/{plan.pk}/unplan/", {"order": order}, content_type="application/json")

    # then it is off its route, unplanned with the reason, the route's times recomputed, the plan feasible
    assert response.status_code == 200
    body = response.json()
    assert body["violations"] == []
    unplanned = {entry["id"]: entry for entry in body["plan"]["unplanned"]}
    assert unplanned[order]["reason"] == "removed_by_dispatcher"
    assert unplanned[order]["reason_label"] == "Removed by the dispatcher"
    plan.refresh_from_db()
    assert routes_of(plan)[shift] == keys[1:]
    assert {"order": order, "reason": "removed_by_dispatcher"} in plan.unplanned
    assert_feasible(plan)
    zh = Client()
    zh.cookies["django_language"] = "zh-hant"
    zh.force_login(office_clerk)
    labels = {entry["id"]: entry["reason_label"] for entry in zh.get(f"{API}/plans/{plan.pk}/").json()["unplanned"]}
    assert labels[order] == "調度員移出"

    # when the rest is re-optimized, it stays out
    with django_capture_on_commit_callbacks(execute=True):
        queued = clerk_client.post(f"{API}/plans/{plan.pk}/reoptimize/", {}, content_type="application/json")
    assert queued.status_code == 202
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert order not in {o for keys in routes_of(plan).values() for o in keys}
    assert {"order": order, "reason": "removed_by_dispatcher"} in plan.unplanned
    assert_feasible(plan)

    # when it is dragged from the unplanned orders onto a route, it is planned there again
    back = clerk_client.post(
        f"{API}/plans/{plan.pk}/move/", {"order": order, "shift": shift, "position": 0}, content_type="application/json"
    )
    assert back.status_code == 200
    plan.refresh_from_db()
    assert routes_of(plan)[shift][0] == order
    assert order not in {entry["order"] for entry in plan.unplanned}


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "order"), ({"order": "x"}, "order"), ({"order": 0}, "order"), ({"order": "NO_PIN"}, "order")],
)
def test_a_bad_unplan_names_the_field_and_changes_nothing(clerk_client, day, draft, body, field):
    plan = draft
    before = (plan.routes, plan.unplanned)
    if body.get("order") == "NO_PIN":
        body = {"order": day["no_pin"].pk}

    response = clerk_client.post(f"{API}/plans/{plan.pk}/unplan/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == [field]
    plan.refresh_from_db()
    assert (plan.routes, plan.unplanned) == before


def test_a_locked_stop_must_be_unlocked_before_it_is_unplanned(clerk_client, draft):
    plan = draft
    order = next(keys[0] for keys in routes_of(plan).values() if keys)
    clerk_client.post(
        f"{API}/plans/{plan.pk}/lock/", {"order": order, "is_locked": True}, content_type="application/json"
    )
    plan.refresh_from_db()
    before = (plan.routes, plan.unplanned)

    response = clerk_client.post(f"{API}/plans/{plan.pk}/unplan/", {"order": order}, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"order": ["Unlock the stop before removing it from its route."]}
    plan.refresh_from_db()
    assert (plan.routes, plan.unplanned) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"shift": "SHIFT", "position": 0}, "order"),
        ({"order": "ORDER", "position": 0}, "shift"),
        ({"order": "ORDER", "shift": "SHIFT", "position": -1}, "position"),
        ({"order": "ORDER", "shift": 999999, "position": 0}, "shift"),
        ({"order": 999999, "shift": "SHIFT", "position": 0}, "order"),
        ({"order": "NO_PIN", "shift": "SHIFT", "position": 0}, "order"),
    ],
)
def test_a_bad_move_names_the_field_and_changes_nothing(clerk_client, day, draft, body, field):
    plan = draft
    before = plan.routes
    values = {"SHIFT": day["shifts"][0].pk, "ORDER": day["orders"][0].pk, "NO_PIN": day["no_pin"].pk}
    body = {key: values.get(value, value) for key, value in body.items()}

    response = clerk_client.post(f"{API}/plans/{plan.pk}/move/", body, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    plan.refresh_from_db()
    assert plan.routes == before


def test_a_locked_stop_stays_first_when_the_rest_is_re_optimized(
    clerk_client, day, draft, eager_celery, django_capture_on_commit_callbacks
):
    plan = draft
    source, target = sorted(day["shifts"], key=lambda shift: -len(routes_of(plan).get(shift.pk, [])))
    order = routes_of(plan)[source.pk][-1]
    clerk_client.post(
        f"{API}/plans/{plan.pk}/move/",
        {"order": order, "shift": target.pk, "position": 0},
        content_type="application/json",
    )

    locked = clerk_client.post(
        f"{API}/plans/{plan.pk}/lock/", {"order": order, "is_locked": True}, content_type="application/json"
    )
    moved_while_locked = clerk_client.post(
        f"{API}/plans/{plan.pk}/move/",
        {"order": order, "shift": source.pk, "position": 0},
        content_type="application/json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        queued = clerk_client.post(f"{API}/plans/{plan.pk}/reoptimize/", {}, content_type="application/json")

    assert locked.status_code == 200
    assert moved_while_locked.status_code == 400
    assert "order" in moved_while_locked.json()["errors"]
    assert queued.status_code == 202
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert order in routes_of(plan)[target.pk]
    stops = plan.routes[[r["shift"] for r in plan.routes].index(target.pk)]["stops"]
    assert [stop["order"] for stop in stops if stop["is_locked"]] == [order]
    assert_feasible(plan, locked={target.pk: [order]})
    unlocked = clerk_client.post(
        f"{API}/plans/{plan.pk}/lock/", {"order": order, "is_locked": False}, content_type="application/json"
    )
    assert unlocked.status_code == 200
    plan.refresh_from_db()
    assert not any(stop["is_locked"] for route in plan.routes for stop in route["stops"])


def test_lock_and_re_optimize_refuse_bad_input_naming_the_field(clerk_client, day, draft):
    plan = draft

    no_flag = clerk_client.post(
        f"{API}/plans/{plan.pk}/lock/", {"order": day["orders"][0].pk}, content_type="application/json"
    )
    not_planned = clerk_client.post(
        f"{API}/plans/{plan.pk}/lock/", {"order": day["no_pin"].pk, "is_locked": True}, content_type="application/json"
    )
    too_long = clerk_client.post(
        f"{API}/plans/{plan.pk}/reoptimize/", {"time_limit_seconds": 900}, content_type="application/json"
    )

    assert (no_flag.status_code, list(no_flag.json()["errors"])) == (400, ["is_locked"])
    assert (not_planned.status_code, list(not_planned.json()["errors"])) == (400, ["order"])
    assert (too_long.status_code, list(too_long.json()["errors"])) == (400, ["time_limit_seconds"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_publish_puts_the_plan_on_the_phones_once_and_a_second_publish_is_refused(
    clerk_client, day, draft, driver_a, django_capture_on_commit_callbacks
):
    plan = draft
    phone = phone_for(driver_a)
    cursor = phone.client.get("/api/v1/driver/changes", {"cursor": 0}).json()["cursor"]

    with django_capture_on_commit_callbacks(execute=True):
        first = clerk_client.post(f"{API}/plans/{plan.pk}/publish/", {}, content_type="application/json")
    second = clerk_client.post(f"{API}/plans/{plan.pk}/publish/", {}, content_type="application/json")
    moved_after = clerk_client.post(
        f"{API}/plans/{plan.pk}/move/",
        {"order": day["orders"][0].pk, "shift": day["shifts"][0].pk, "position": 0},
        content_type="application/json",
    )

    assert first.status_code == 200
    assert first.json()["status"] == "published"
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PUBLISHED
    planned = routes_of(plan)[next(s.pk for s in day["shifts"] if s.driver_id == driver_a.pk)]
    stops = [RouteStop.objects.get(order_id=order) for order in planned]
    body = phone.client.get("/api/v1/driver/changes", {"cursor": cursor}).json()
    route_changes = [c for c in body["changes"] if c["kind"] == "route_changed"]
    assert [row[0] for row in route_changes[-1]["data"]["stops"]] == [s.pk for s in stops]
    assert second.status_code == 409
    assert second.json()["code"] == "already_published"
    assert moved_after.status_code == 400
    assert "plan" in moved_after.json()["errors"]
    assert RouteStop.objects.count() == len(day["orders"])


def test_an_unknown_plan_is_a_404(clerk_client, db):
    assert clerk_client.get(f"{API}/plans/999999/").status_code == 404
    assert clerk_client.post(f"{API}/plans/999999/publish/", {}, content_type="application/json").status_code == 404


@pytest.mark.parametrize("role", [roles.DRIVER, roles.MANAGER, "anonymous"])
def test_drivers_managers_and_strangers_may_not_plan(user_in_role, role, day, depot, plan_date):
    client = Client()
    user = user_in_role(role)
    if user is not None:
        client.force_login(user)
    plan = PlanDraft.objects.create(date=plan_date, depot=depot, status=PlanStatus.DRAFT)

    responses = [
        client.get(f"{API}/day/", {"date": plan_date.isoformat(), "depot": depot.pk}),
        client.post(
            f"{API}/plans/", {"date": plan_date.isoformat(), "depot": depot.pk}, content_type="application/json"
        ),
        client.get(f"{API}/plans/{plan.pk}/"),
        client.post(f"{API}/plans/{plan.pk}/move/", {}, content_type="application/json"),
        client.post(f"{API}/plans/{plan.pk}/unplan/", {}, content_type="application/json"),
        client.post(f"{API}/plans/{plan.pk}/lock/", {}, content_type="application/json"),
        client.post(f"{API}/plans/{plan.pk}/reoptimize/", {}, content_type="application/json"),
        client.post(f"{API}/plans/{plan.pk}/publish/", {}, content_type="application/json"),
        client.get("/dispatch/"),
    ]

    assert [r.status_code in (401, 403) or "/login" in r.get("Location", "") for r in responses] == [True] * 9
    assert PlanDraft.objects.count() == 1
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_the_page_is_linked_from_the_admin_for_planners_only(clerk_client, manager, db):
    page = clerk_client.get("/dispatch/")
    admin_index = clerk_client.get("/admin/")
    boss = Client()
    boss.force_login(manager)

    assert page.status_code == 200
    assert b"planning-config" in page.content
    assert b'href="/dispatch/"' in admin_index.content
    assert b'href="/dispatch/"' not in boss.get("/admin/").content


def test_planning_is_a_permission_an_admin_can_grant_to_a_manager(manager, day, depot, plan_date):
    # given a manager, who may not plan by default
    from django.contrib.auth.models import Permission

    client = Client()
    client.force_login(manager)
    query = {"date": plan_date.isoformat(), "depot": depot.pk}
    refused = client.get(f"{API}/day/", query)
    # when an admin grants the manager the permission to plan routes
    manager.user_permissions.add(Permission.objects.get(content_type__app_label="dispatch", codename="plan_routes"))
    # then the manager may use the planning page and its API
    assert refused.status_code == 403
    assert client.get(f"{API}/day/", query).status_code == 200
    assert client.get("/dispatch/").status_code == 200


def test_the_office_and_admin_groups_hold_the_permission_to_plan(office_clerk, admin_user, manager, driver_a):
    assert office_clerk.has_perm("dispatch.plan_routes")
    assert admin_user.has_perm("dispatch.plan_routes")
    assert not manager.has_perm("dispatch.plan_routes")
    assert not driver_a.user.has_perm("dispatch.plan_routes")
