"""A Redis restart in the middle of a run loses no message: the outbox re-dispatches."""

import time

import pytest

from sms import services
from sms.models import Message, MessageStatus
from tests.sms.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_redis_restart_mid_run_loses_no_message_and_sends_none_twice(celery_worker, sms_rig, private_redis, settings):
    # given: a slow provider, so most tasks still sit in Redis when it goes away
    sms_rig["mitake"].latency = 0.3
    settings.SMS_REDISPATCH_AFTER_SECONDS = 2
    messages = [
        services.message_enqueue(idempotency_key=f"restart:{n}", phone=f"0912{n:06d}", body=f"訊息 {n}")
        for n in range(40)
    ]
    wait_for(lambda: Message.objects.filter(status=MessageStatus.ACCEPTED).count() >= 3, what="a few sent")

    # when: Redis (broker, limits, circuit) restarts empty
    private_redis.restart()
    assert Message.objects.filter(status=MessageStatus.ACCEPTED).count() < 40

    # then: the periodic reconcile (what beat runs) puts every remaining message back
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if Message.objects.filter(status=MessageStatus.ACCEPTED).count() == 40:
            break
        celery_worker.ensure_running()
        services.outbox_reconcile()
        time.sleep(2)

    assert Message.objects.filter(status=MessageStatus.ACCEPTED).count() == 40
    mitake = sms_rig["mitake"]
    assert mitake.handset_count() == 40
    assert all(mitake.handset_count(f"0912{n:06d}") == 1 for n in range(len(messages)))
