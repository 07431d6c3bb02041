"""Hypothesis stateful test of the sync protocol against a model.

Two phones of one driver and the office change the same stops while requests are dropped,
responses lost, batches duplicated, reordered and delayed, and phone clocks are skewed by up
to an hour. After every queue is delivered the server equals the model: every action took
effect at most once, no final status regressed, every note was kept.
"""

import datetime
import uuid
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from luckygas.delivery import services as delivery_services
from luckygas.delivery.models import FINAL_STOP_STATUSES, OrderStatusChange, RouteStop, StopStatus
from offline_sync.models import CashCollection, CashStatus, StopNote, SyncAction
from tests.delivery.factories import DriverFactory
from tests.offline_sync.factories import phone_for, started_route

STOPS = 3
OUTCOME = {"complete": StopStatus.DELIVERED, "skip": StopStatus.SKIPPED, "fail": StopStatus.FAILED}


class SyncProtocolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.driver = DriverFactory()
        self.route = started_route(self.driver, stops=STOPS)
        self.stop_ids = list(self.route.stops.order_by("sequence").values_list("pk", flat=True))
        self.phones = [phone_for(self.driver, name=f"phone {index}") for index in range(2)]
        self.skews = [datetime.timedelta(0), datetime.timedelta(0)]
        # Per phone: every action it created, in seq order, and how many the phone knows are done.
        self.outbox: list[list[dict[str, Any]]] = [[], []]
        self.acknowledged = [0, 0]
        self.seen_version = [dict.fromkeys(self.stop_ids, 1), dict.fromkeys(self.stop_ids, 1)]
        self.delayed: list[tuple[int, list[dict[str, Any]]]] = []
        self.last_sent: list[tuple[int, list[dict[str, Any]]]] = []
        # The model: what the server must end up with, applied in the server's order.
        self.status = dict.fromkeys(self.stop_ids, StopStatus.PENDING)
        self.cash = dict.fromkeys(self.stop_ids, 0)
        self.first_results: dict[str, str] = {}
        self.notes: set[str] = set()
        self.final_seen: dict[int, str] = {}

    @initialize(skews=st.lists(st.integers(min_value=-3600, max_value=3600), min_size=2, max_size=2))
    def skew_clocks(self, skews: list[int]) -> None:
        self.skews = [datetime.timedelta(seconds=seconds) for seconds in skews]

    # --- the driver acts (offline: only the phone's queue changes) ----------------------------

    @rule(
        phone=st.integers(0, 1),
        stop=st.integers(0, STOPS - 1),
        kind=st.sampled_from(["complete", "skip", "fail", "note", "collect_cash"]),
        amount=st.integers(1, 2000),
    )
    def driver_acts(self, phone: int, stop: int, kind: str, amount: int) -> None:
        stop_id = self.stop_ids[stop]
        payload: dict[str, Any] = {}
        if kind == "complete":
            payload = {"cash_collected": amount}
        elif kind == "collect_cash":
            payload = {"amount": amount}
        elif kind == "note":
            payload = {"text": f"備註 {uuid.uuid4().hex[:8]}"}
        elif kind in {"skip", "fail"}:
            payload = {"reason": "沒人在家"}
        self.outbox[phone].append(
            {
                "id": str(uuid.uuid4()),
                "seq": len(self.outbox[phone]) + 1,
                "type": kind,
                "stop": stop_id,
                "base_version": self.seen_version[phone][stop_id],
                "occurred_at": (timezone.now() + self.skews[phone]).isoformat(),
                "payload": payload,
            }
        )

    # --- the network ----------------------------------------------------------------------------

    def pending(self, phone: int) -> list[dict[str, Any]]:
        return self.outbox[phone][self.acknowledged[phone] :]

    @precondition(lambda self: any(self.pending(phone) for phone in (0, 1)))
    @rule(phone=st.integers(0, 1), size=st.integers(1, 10), request_lost=st.booleans(), response_lost=st.booleans())
    def send(self, phone: int, size: int, request_lost: bool, response_lost: bool) -> None:
        batch = self.pending(phone)[:size]
        if not batch or request_lost:
            return
        self.deliver(phone, batch, response_lost=response_lost)

    @precondition(lambda self: bool(self.last_sent))
    @rule()
    def duplicate_last_batch(self) -> None:
        phone, batch = self.last_sent[-1]
        response = self.post(phone, batch)
        assert response.status_code == 200, response.content
        assert [result["result"] for result in response.json()["results"]] == ["duplicate"] * len(batch)
        for action, result in zip(batch, response.json()["results"], strict=True):
            assert result["first_result"] == self.first_results[action["id"]]

    @precondition(lambda self: any(len(self.pending(phone)) >= 2 for phone in (0, 1)))
    @rule(phone=st.integers(0, 1), skip=st.integers(1, 5))
    def send_out_of_order(self, phone: int, skip: int) -> None:
        """A later part of the queue overtakes its start: 409 and nothing applied, unless the
        start had in fact arrived already (its response was lost)."""
        pending = self.pending(phone)
        if len(pending) <= skip:
            return
        batch = pending[skip : skip + 10]
        expected = self.server_next_seq(phone)
        if batch[0]["seq"] <= expected:
            self.deliver(phone, batch, response_lost=True)
            return
        before = SyncAction.objects.count()
        response = self.post(phone, batch)
        assert response.status_code == 409, response.content
        assert response.json()["expected_seq"] == expected
        assert SyncAction.objects.count() == before

    @precondition(lambda self: any(self.pending(phone) for phone in (0, 1)))
    @rule(phone=st.integers(0, 1), size=st.integers(1, 10))
    def delay(self, phone: int, size: int) -> None:
        batch = self.pending(phone)[:size]
        if batch:
            self.delayed.append((phone, batch))

    @precondition(lambda self: bool(self.delayed))
    @rule()
    def deliver_delayed(self) -> None:
        phone, batch = self.delayed.pop(0)
        expected_first = self.server_next_seq(phone)
        if batch[0]["seq"] > expected_first:
            assert self.post(phone, batch).status_code == 409
            return
        self.deliver(phone, batch, response_lost=False)

    # --- the office -----------------------------------------------------------------------------

    @rule(stop=st.integers(0, STOPS - 1))
    def office_cancels(self, stop: int) -> None:
        stop_id = self.stop_ids[stop]
        db_stop = RouteStop.objects.select_related("order").get(pk=stop_id)
        if db_stop.is_final:
            return
        delivery_services.order_cancel(order=db_stop.order, reason="客戶來電取消")
        self.status[stop_id] = StopStatus.CANCELLED

    @rule()
    def office_reorders(self) -> None:
        ids = list(RouteStop.objects.filter(route=self.route).order_by("sequence").values_list("pk", flat=True))
        delivery_services.route_stop_reorder(route=self.route, stop_ids=list(reversed(ids)))

    # --- helpers --------------------------------------------------------------------------------

    def post(self, phone: int, batch: list[dict[str, Any]]):
        sent_at = (timezone.now() + self.skews[phone]).isoformat()
        return self.phones[phone].client.post(
            "/api/v1/driver/sync", {"sent_at": sent_at, "actions": batch}, format="json"
        )

    def server_has(self, action: dict[str, Any]) -> bool:
        return SyncAction.objects.filter(pk=action["id"]).exists()

    def server_next_seq(self, phone: int) -> int:
        self.phones[phone].device.refresh_from_db()
        return self.phones[phone].device.next_seq

    def deliver(self, phone: int, batch: list[dict[str, Any]], *, response_lost: bool) -> None:
        response = self.post(phone, batch)
        assert response.status_code == 200, response.content
        results = response.json()["results"]
        assert len(results) == len(batch)
        for action, result in zip(batch, results, strict=True):
            if result["result"] == "duplicate":
                assert result["first_result"] == self.first_results[action["id"]]
                continue
            assert action["id"] not in self.first_results, "an action took effect twice"
            self.first_results[action["id"]] = result["result"]
            self.check_against_model(action, result)
        self.last_sent.append((phone, batch))
        if response_lost:
            return
        # The phone learns its results: those actions leave its queue, versions are updated.
        self.acknowledged[phone] = max(self.acknowledged[phone], batch[-1]["seq"])
        for result in results:
            stop_state = result.get("stop") or {}
            if "version" in stop_state:
                self.seen_version[phone][stop_state["id"]] = stop_state["version"]

    def check_against_model(self, action: dict[str, Any], result: dict[str, Any]) -> None:
        stop_id = action["stop"]
        kind = action["type"]
        status = self.status[stop_id]
        if kind in OUTCOME:
            if status == StopStatus.CANCELLED:
                assert (result["result"], result["reason"]) == ("conflict", "cancelled")
            elif status in FINAL_STOP_STATUSES:
                assert (result["result"], result["reason"]) == ("conflict", "already_final")
            else:
                assert result["result"] == "applied", result
                self.status[stop_id] = OUTCOME[kind]
                self.cash[stop_id] += action["payload"].get("cash_collected", 0)
        elif kind == "collect_cash":
            if status == StopStatus.CANCELLED:
                assert (result["result"], result["kept"]) == ("conflict", True)
            else:
                assert result["result"] == "applied", result
                self.cash[stop_id] += action["payload"]["amount"]
        elif kind == "note":
            assert result["result"] in {"applied", "conflict"}
            assert result["result"] == "applied" or result["kept"] is True
            self.notes.add(action["payload"]["text"])

    # --- what must always hold ------------------------------------------------------------------

    @invariant()
    def final_statuses_never_regress(self) -> None:
        for stop_id, status in RouteStop.objects.filter(pk__in=self.stop_ids).values_list("pk", "status"):
            if stop_id in self.final_seen:
                assert status == self.final_seen[stop_id], "a final status changed"
            elif status in FINAL_STOP_STATUSES:
                self.final_seen[stop_id] = status

    def teardown(self) -> None:
        # Everything is eventually delivered, in order, with its response.
        for phone in (0, 1):
            while self.pending(phone):
                self.deliver(phone, self.pending(phone)[:10], response_lost=False)
        stops = {stop.pk: stop for stop in RouteStop.objects.filter(pk__in=self.stop_ids).select_related("order")}
        assert {pk: stop.status for pk, stop in stops.items()} == self.status
        assert {pk: stop.cash_collected for pk, stop in stops.items()} == self.cash
        created = [action["id"] for outbox in self.outbox for action in outbox]
        assert SyncAction.objects.filter(device__driver=self.driver).count() == len(created)
        assert set(self.first_results) == set(created)
        for stop in stops.values():
            finals = OrderStatusChange.objects.filter(order=stop.order, to_status__in=["delivered", "failed"])
            assert finals.count() <= 1
            if stop.completed_at is not None:
                assert stop.completed_at <= timezone.now()
        assert set(StopNote.objects.filter(stop_id__in=self.stop_ids).values_list("text", flat=True)) == self.notes
        counted = CashCollection.objects.filter(stop_id__in=self.stop_ids).exclude(status=CashStatus.DISPUTED)
        assert sum(counted.values_list("amount", flat=True)) == sum(self.cash.values())


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_sync_protocol_against_a_model(db):
    run_state_machine_as_test(
        SyncProtocolMachine,
        settings=settings(
            max_examples=10,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
