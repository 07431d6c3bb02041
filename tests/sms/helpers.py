"""Helpers for in-process dispatch tests (no worker: `db` tests never run on_commit)."""

import datetime

from sms import services
from sms.models import Message
from tests.helpers import TAIPEI, taipei  # noqa: F401  (re-exported for tests/sms)


def enqueue_and_dispatch(*, now: datetime.datetime, **kwargs: object) -> tuple[Message, str]:
    message = services.message_enqueue(**kwargs)
    Message.objects.filter(pk=message.pk).update(not_before=now)
    result = services.message_dispatch(message_id=message.pk, now=now)
    message.refresh_from_db()
    return message, result
