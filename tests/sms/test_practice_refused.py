"""Practice customers (training) never reach a provider: the message is recorded as refused."""

import pytest

from sms.models import Message, MessageStatus, StatusChange
from sms.services.dispatch import PRACTICE_REFUSAL
from tests.delivery.factories import ProductFactory
from tests.sms.helpers import enqueue_and_dispatch, taipei
from training.models import PracticeSet
from training.services import practice_sets_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice_customer(db):
    ProductFactory()
    practice_sets_seed(count=1, password="practice-password")
    return PracticeSet.objects.get().customers.order_by("code").first()


def _provider_requests(rig) -> int:
    return sum(len(server.requests) for server in rig.values())


def test_a_message_to_a_practice_customer_is_refused_and_no_provider_is_asked(sms_rig, practice_customer) -> None:
    # when
    message, result = enqueue_and_dispatch(
        now=taipei(2026, 11, 25, 10, 0), idempotency_key="practice:1", customer=practice_customer, body="訂單已確認"
    )
    # then
    assert result == "practice_data"
    assert message.status == MessageStatus.FAILED
    assert message.error_code == "practice_data"
    assert message.error_detail == PRACTICE_REFUSAL
    assert message.provider == ""
    assert not message.attempts.exists()
    assert list(StatusChange.objects.filter(message=message).values_list("to_status", "note")) == [
        (MessageStatus.QUEUED, "enqueued"),
        (MessageStatus.FAILED, "practice data"),
    ]
    assert _provider_requests(sms_rig) == 0


def test_a_message_typed_to_a_practice_customers_number_is_refused_too(sms_rig, practice_customer) -> None:
    message, result = enqueue_and_dispatch(
        now=taipei(2026, 11, 25, 10, 0), idempotency_key="practice:2", phone=practice_customer.mobile, body="測試"
    )

    assert result == "practice_data"
    assert message.status == MessageStatus.FAILED
    assert _provider_requests(sms_rig) == 0


def test_a_real_customer_is_still_sent_to_beside_practice_data(sms_rig, practice_customer, customer) -> None:
    message, result = enqueue_and_dispatch(
        now=taipei(2026, 11, 25, 10, 0), idempotency_key="real:1", customer=customer, body="訂單已確認"
    )

    assert result == "accepted"
    assert Message.objects.get(pk=message.pk).status == MessageStatus.ACCEPTED
    assert _provider_requests(sms_rig) == 1
