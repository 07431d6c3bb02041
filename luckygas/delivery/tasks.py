"""Celery tasks of the delivery domain: thin wrappers around one service each."""

from celery import shared_task

from luckygas.delivery.services.recurring import recurring_orders_create_for_tomorrow


@shared_task(queue="default", acks_late=True)
def create_recurring_orders() -> dict[str, int]:
    """Each evening: tomorrow's recurring orders (idempotent: a rerun creates none twice)."""
    run = recurring_orders_create_for_tomorrow()
    return {"created": len(run.created), "skipped": len(run.skipped), "already_done": run.already_done}
