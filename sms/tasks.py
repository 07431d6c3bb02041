"""Celery tasks: thin, idempotent wrappers around the services (queue `sms`)."""

from celery import shared_task

from sms import services


@shared_task(queue="sms", acks_late=True, ignore_result=True)
def message_send(message_id: int) -> str:
    return services.message_dispatch(message_id=message_id)


@shared_task(queue="sms", acks_late=True, ignore_result=True)
def message_send_many(message_ids: list[int]) -> int:
    """Publish the send task of each message of a bulk write (the writer published one task per chunk).

    Each message keeps its own task (parallel, retried and claimed on its own); running this twice
    only publishes tasks that find their message already claimed or sent."""
    for message_id in message_ids:
        message_send.delay(message_id)
    return len(message_ids)


@shared_task(queue="sms", acks_late=True, ignore_result=True)
def attempt_recover(attempt_id: int) -> str:
    return services.attempt_recover(attempt_id=attempt_id)


@shared_task(queue="sms", acks_late=True, ignore_result=True)
def provider_poll_task(provider: str) -> int:
    return services.provider_poll(provider=provider)


@shared_task(queue="sms", ignore_result=True)
def outbox_reconcile() -> dict[str, int]:
    return services.outbox_reconcile()
