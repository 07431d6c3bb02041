"""The shell command, the business-event hooks, the dashboard contract and demo data, end to end."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from luckygas.delivery import services as delivery_services
from sms import selectors
from sms.demo import seed_demo_data
from sms.handlers import rescan_business_events
from sms.models import Message, MessageStatus, Template
from tests.delivery.factories import OrderFactory
from tests.sms.conftest import wait_for


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_sms_send_command_goes_through_the_outbox_and_prints_the_final_status(celery_worker, sms_rig):
    out = io.StringIO()

    call_command("sms_send", "--to", "0912345678", "--body", "測試簡訊", "--wait", "30", stdout=out)

    message = Message.objects.get()
    assert message.status == MessageStatus.ACCEPTED
    assert f"message {message.pk} status accepted via mitake" in out.getvalue()
    assert "0912***678" in out.getvalue()
    assert "0912345678" not in out.getvalue()
    assert sms_rig["mitake"].handset_count("0912345678") == 1


@pytest.mark.django_db
def test_sms_send_command_names_the_bad_field(sms_rig):
    with pytest.raises(CommandError, match="phone"):
        call_command("sms_send", "--to", "12345", "--body", "x", "--wait", "0", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--customer"):
        call_command("sms_send", "--customer", "NOPE", "--body", "x", "--wait", "0", stdout=io.StringIO())
    assert Message.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_confirming_an_order_sends_the_order_confirmation_once(celery_worker, sms_rig, customer):
    seed_demo_data(password="x", stdout=io.StringIO())
    order = OrderFactory(customer=customer)

    delivery_services.order_confirm(order=order)

    message = Message.objects.get(idempotency_key=f"order_confirmation:order:{order.pk}")
    wait_for(lambda: Message.objects.get(pk=message.pk).status == MessageStatus.ACCEPTED, what="sent")
    assert message.template.name == "order_confirmation"
    assert message.variant.label in {"A", "B"}
    assert rescan_business_events() == 0
    assert Message.objects.count() == 1
    assert sms_rig["mitake"].handset_count("0912345678") == 1


@pytest.mark.django_db
def test_rescan_writes_the_outbox_row_a_crash_after_commit_left_out(sms_rig, customer):
    seed_demo_data(password="x", stdout=io.StringIO())
    order = OrderFactory(customer=customer)
    delivery_services.order_confirm(order=order)  # `db` tests never run on_commit: the handler never ran
    assert Message.objects.count() == 0

    assert rescan_business_events() == 1
    assert rescan_business_events() == 0
    assert Message.objects.get().idempotency_key == f"order_confirmation:order:{order.pk}"


@pytest.mark.django_db
def test_demo_seed_is_idempotent():
    seed_demo_data(password="x", stdout=io.StringIO())
    seed_demo_data(password="x", stdout=io.StringIO())

    assert Template.objects.count() == 5
    assert Template.objects.get(name="order_confirmation").variants.count() == 2


@pytest.mark.django_db
def test_dashboard_summary_follows_the_contract(sms_rig, customer):
    from tests.sms.helpers import enqueue_and_dispatch

    now = timezone.now()
    enqueue_and_dispatch(now=now, idempotency_key="d:1", customer=customer, body="hi")
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=1)

    summary = selectors.sms_dashboard_summary(start=start, end=end)

    assert {key: summary[key] for key in ("sent", "delivered", "failed", "pending", "cost_twd")} == {
        "sent": 1,
        "delivered": 0,
        "failed": 0,
        "pending": 1,
        "cost_twd": 1,
    }
    mitake = next(provider for provider in summary["providers"] if provider["name"] == "mitake")
    assert mitake == {
        "name": "mitake",
        "circuit_state": "closed",
        "delivered_rate": None,
        "latency_p50_seconds": None,
        "balance": 9999,
        "balance_low": False,
    }
