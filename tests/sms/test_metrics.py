"""`luckygas_sms_messages_total{provider, status}` on /metrics, counted when a message changes state."""

import pytest

from sms import services
from tests.sms.helpers import taipei

pytestmark = pytest.mark.django_db
NOW = taipei(2026, 11, 25, 10, 0)


def _metric(client, provider: str, status: str) -> float | None:
    text = client.get("/metrics").content.decode()
    prefix = f'luckygas_sms_messages_total{{provider="{provider}",status="{status}"}} '
    values = [float(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix)]
    return values[0] if values else None


def test_a_sent_message_is_counted_per_provider_and_status_on_metrics(
    client, sms_rig, customer, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_enqueue(idempotency_key="metrics:1", customer=customer, body="帳單通知")
    assert _metric(client, "none", "queued") == 1.0
    assert _metric(client, "mitake", "accepted") is None

    # when: it is handed to Mitake and accepted (the counts land when each transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.message_dispatch(message_id=message.pk, now=message.not_before) == "accepted"

    # then
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "# TYPE luckygas_sms_messages_total counter" in response.content.decode()
    assert _metric(client, "mitake", "submitted") == 1.0
    assert _metric(client, "mitake", "accepted") == 1.0
    assert _metric(client, "none", "queued") == 1.0


def test_a_rolled_back_change_is_not_counted(client, sms_rig, customer):
    # on_commit callbacks of a transaction that never commits (this test's) never run
    message = services.message_enqueue(idempotency_key="metrics:2", customer=customer, body="帳單通知")
    services.message_dispatch(message_id=message.pk, now=message.not_before)

    assert _metric(client, "mitake", "accepted") is None
