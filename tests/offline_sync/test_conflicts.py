"""The conflict rules: the office wins on cancel and reassign, final outcomes never go back,
notes, photos and cash are never dropped."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F

from luckygas.delivery import services as delivery_services
from luckygas.delivery.models import OrderStatus, RouteStop, StopStatus
from offline_sync import services
from offline_sync.models import (
    CashCollection,
    CashStatus,
    ChangeKind,
    ChangeLogEntry,
    ConflictStatus,
    StopNote,
    SyncConflict,
)
from tests.offline_sync.factories import phone_for, started_route


def test_cancelled_then_completed_becomes_a_conflict_and_the_stop_stays_cancelled(
    route_a, phone_a, office_clerk, django_capture_on_commit_callbacks
):
    # given the phone saw the stop at version v, then the office cancelled it
    stop = route_a.stops.order_by("sequence").first()
    action = phone_a.action("complete", stop, cash_collected=950)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.order_cancel(order=stop.order, actor=office_clerk, reason="客戶取消")
    # when the phone's offline delivery arrives
    result = phone_a.push(action).json()["results"][0]
    # then it is a conflict showing the server's state, and nothing changed
    assert result["result"] == "conflict"
    assert result["reason"] == "cancelled"
    assert result["kept"] is False
    assert result["stop"]["status"] == "cancelled"
    assert result["stop"]["version"] == action["base_version"] + 1
    stop.refresh_from_db()
    assert stop.status == StopStatus.CANCELLED
    assert stop.order.status == OrderStatus.CANCELLED
    assert stop.cash_collected == 0
    conflict = SyncConflict.objects.get(action_id=action["id"])
    assert conflict.status == ConflictStatus.OPEN
    assert conflict.server_state["status"] == "cancelled"
    assert conflict.client_state["payload"] == {"cash_collected": 950}
    # and the office's change reached the driver's feed
    assert ChangeLogEntry.objects.filter(driver=route_a.driver, stop=stop, kind=ChangeKind.STOP_CANCELLED).exists()


def test_resolving_a_conflict_is_one_audited_claim(route_a, phone_a, office_clerk, manager):
    stop = route_a.stops.first()
    delivery_services.order_cancel(order=stop.order, actor=office_clerk)
    phone_a.push(phone_a.action("complete", stop))
    conflict = SyncConflict.objects.get()
    # when
    services.conflict_resolve(conflict=conflict, resolution="keep_office", actor=office_clerk, note="已與司機確認")
    # then it is resolved once, by whom and when, and a second resolution is refused
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    assert conflict.resolution == "keep_office"
    assert conflict.resolved_by == office_clerk
    assert conflict.resolved_at is not None
    with pytest.raises(ValidationError):
        services.conflict_resolve(conflict=conflict, resolution="apply_driver", actor=manager)
    assert ChangeLogEntry.objects.filter(kind=ChangeKind.CONFLICT_RESOLVED, stop=stop).count() == 1


def test_reassigned_stop_becomes_a_conflict_without_showing_the_other_driver(
    route_a, phone_a, driver_b, django_capture_on_commit_callbacks
):
    # given the phone downloaded its route, then the office moved a stop to driver B
    stop = route_a.stops.order_by("sequence").first()
    assert phone_a.client.get("/api/v1/driver/route", {"date": route_a.date.isoformat()}).status_code == 200
    route_b = started_route(driver_b, stops=1)
    action = phone_a.action("complete", stop)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.route_stop_reassign(stop=stop, route=route_b)
    # when the phone's delivery arrives
    result = phone_a.push(action).json()["results"][0]
    # then
    assert result["result"] == "conflict"
    assert result["reason"] == "reassigned"
    assert result["stop"] == {"id": stop.pk, "assigned_to_you": False}
    stop.refresh_from_db()
    assert stop.status == StopStatus.PENDING
    assert ChangeLogEntry.objects.filter(driver=route_a.driver, stop=stop, kind=ChangeKind.STOP_REMOVED).exists()
    assert ChangeLogEntry.objects.filter(driver=driver_b, stop=stop, kind=ChangeKind.STOP_ADDED).exists()
    # and each phone's feed shows its route as it is now
    assert ChangeLogEntry.objects.filter(driver=route_a.driver, kind=ChangeKind.ROUTE_CHANGED).latest("pk").data[
        "stops"
    ] == [[other.pk, other.sequence, other.version] for other in route_a.stops.order_by("sequence")]
    assert SyncConflict.objects.get(action_id=action["id"]).reason == "reassigned"


def test_a_final_outcome_never_goes_back(route_a, driver_a):
    # given two phones of one driver: one delivered the stop
    stop = route_a.stops.first()
    first, second = phone_for(driver_a), phone_for(driver_a)
    assert first.push(first.action("complete", stop)).json()["results"][0]["result"] == "applied"
    # when the other phone, offline, had marked it failed and skipped
    body = second.push(second.action("fail", stop, reason="沒人在家"), second.action("skip", stop)).json()
    # then both are conflicts and the stop stays delivered
    assert [r["result"] for r in body["results"]] == ["conflict", "conflict"]
    assert {r["reason"] for r in body["results"]} == {"already_final"}
    stop.refresh_from_db()
    assert stop.status == StopStatus.DELIVERED
    assert stop.order.status == OrderStatus.DELIVERED


def test_skipped_stop_can_still_be_delivered(route_a, phone_a):
    stop = route_a.stops.first()
    body = phone_a.push(phone_a.action("skip", stop, reason="稍後再來"), phone_a.action("complete", stop)).json()
    assert [r["result"] for r in body["results"]] == ["applied", "applied"]
    stop.refresh_from_db()
    assert stop.status == StopStatus.DELIVERED


def test_two_different_notes_are_both_kept(route_a, driver_a):
    stop = route_a.stops.first()
    first, second = phone_for(driver_a), phone_for(driver_a)
    note_one = first.action("note", stop, text="鐵門密碼 1234")
    note_two = second.action("note", stop, text="請從後門送")
    assert first.push(note_one).json()["results"][0]["result"] == "applied"
    result = second.push(note_two).json()["results"][0]
    assert result["result"] == "conflict"
    assert result["reason"] == "concurrent_note"
    assert result["kept"] is True
    assert set(StopNote.objects.filter(stop=stop).values_list("text", flat=True)) == {"鐵門密碼 1234", "請從後門送"}
    assert SyncConflict.objects.get().action_id.hex == note_two["id"].replace("-", "")


def test_a_note_after_seeing_the_other_note_is_no_conflict(route_a, driver_a):
    stop = route_a.stops.first()
    first, second = phone_for(driver_a), phone_for(driver_a)
    version = first.push(first.action("note", stop, text="一")).json()["results"][0]["stop"]["version"]
    result = second.push(second.action("note", stop, base_version=version, text="二")).json()["results"][0]
    assert result["result"] == "applied"
    assert StopNote.objects.filter(stop=stop).count() == 2


def test_cash_and_notes_on_a_cancelled_stop_are_kept_for_the_office(route_a, phone_a, office_clerk):
    stop = route_a.stops.first()
    delivery_services.order_cancel(order=stop.order, actor=office_clerk)
    body = phone_a.push(
        phone_a.action("collect_cash", stop, amount=500), phone_a.action("note", stop, text="已收現")
    ).json()
    assert [(r["result"], r["kept"]) for r in body["results"]] == [("conflict", True), ("conflict", True)]
    cash = CashCollection.objects.get(stop=stop)
    assert cash.amount == 500
    assert cash.status == CashStatus.DISPUTED
    assert StopNote.objects.get(stop=stop).text == "已收現"
    stop.refresh_from_db()
    assert stop.cash_collected == 0


def test_cash_collected_is_an_event_never_a_payment(route_a, phone_a):
    from luckygas.delivery.models import Payment

    stop = route_a.stops.first()
    phone_a.push(phone_a.action("complete", stop, cash_collected=950), phone_a.action("collect_cash", stop, amount=50))
    assert sorted(CashCollection.objects.filter(stop=stop).values_list("amount", flat=True)) == [50, 950]
    assert set(CashCollection.objects.values_list("status", flat=True)) == {CashStatus.PENDING}
    assert not Payment.objects.exists()


def test_apply_driver_resolution_applies_the_outcome_once(route_a, driver_a, driver_b, office_clerk):
    # given a stop reassigned away from A after A's phone saw it, and A delivered it offline
    stop = route_a.stops.first()
    phone = phone_for(driver_a)
    services.stop_assignments_record(driver=driver_a, stop_ids=[stop.pk])
    route_b = started_route(driver_b, stops=1)
    RouteStop.objects.filter(pk=stop.pk).update(route=route_b, version=F("version") + 1)
    phone.push(phone.action("complete", stop, cash_collected=950))
    conflict = SyncConflict.objects.get()
    # when the office accepts the driver's delivery
    services.conflict_resolve(conflict=conflict, resolution="apply_driver", actor=office_clerk)
    # then
    stop.refresh_from_db()
    assert stop.status == StopStatus.DELIVERED
    assert stop.cash_collected == 950


def _reassigned_conflict(route_a, driver_a, driver_b, action_type: str, **payload):
    """A stop moved from A to B after A's phone saw it, and A's offline outcome for it."""
    stop = route_a.stops.first()
    phone = phone_for(driver_a)
    services.stop_assignments_record(driver=driver_a, stop_ids=[stop.pk])
    route_b = started_route(driver_b, stops=1)
    RouteStop.objects.filter(pk=stop.pk).update(route=route_b, version=F("version") + 1)
    action = phone.action(action_type, stop, **payload)
    assert phone.push(action).json()["results"][0]["result"] == "conflict"
    return stop, action, SyncConflict.objects.get(action_id=action["id"])


def test_accepting_a_drivers_delivery_books_its_cash_as_the_push_would(route_a, driver_a, driver_b, office_clerk):
    # given
    stop, action, conflict = _reassigned_conflict(
        route_a, driver_a, driver_b, "complete", cash_collected=950, empties_collected=2, note="放後門"
    )
    # when the office accepts the driver's delivery
    services.conflict_resolve(conflict=conflict, resolution="apply_driver", actor=office_clerk)
    # then the cash is in the books to reconcile, exactly as an applied push records it
    stop.refresh_from_db()
    cash = CashCollection.objects.get(stop=stop)
    assert (cash.amount, str(cash.action_id), cash.status) == (950, action["id"], CashStatus.PENDING)
    assert (stop.status, stop.cash_collected, stop.empties_collected) == (StopStatus.DELIVERED, 950, 2)
    assert stop.outcome_note == "放後門"


@pytest.mark.parametrize("action_type", ["skip", "fail"])
def test_accepting_a_drivers_skip_or_failure_records_its_reason(route_a, driver_a, driver_b, office_clerk, action_type):
    stop, _action, conflict = _reassigned_conflict(route_a, driver_a, driver_b, action_type, reason="客戶不在家")
    services.conflict_resolve(conflict=conflict, resolution="apply_driver", actor=office_clerk)
    stop.refresh_from_db()
    assert stop.status == {"skip": StopStatus.SKIPPED, "fail": StopStatus.FAILED}[action_type]
    assert stop.outcome_note == "客戶不在家"
    assert not CashCollection.objects.filter(stop=stop).exists()
