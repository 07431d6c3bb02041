"""Celery tasks: thin wrappers taking ids and calling one service."""

from smtplib import SMTPException

from celery import shared_task

from dashboard import services


@shared_task(queue="exports", acks_late=True)
def export_run(job_id: str) -> str:
    return services.export_job_run(job_id=job_id).status


@shared_task
def export_jobs_recover() -> dict[str, int]:
    return services.export_jobs_recover()


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=5)
def send_scheduled_report(subscription_id: int) -> str | None:
    delivery = services.report_subscription_send(subscription_id=subscription_id)
    return delivery.outcome if delivery else None


@shared_task
def rebuild_rollups(start: str | None = None, end: str | None = None) -> int:
    import datetime

    return services.rollup_rebuild(
        start=datetime.date.fromisoformat(start) if start else None,
        end=datetime.date.fromisoformat(end) if end else None,
    )
