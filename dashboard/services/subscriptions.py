"""Scheduled reports: subscriptions kept in step with django-celery-beat, and the e-mailed report."""

import datetime
import json
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.translation import gettext

from dashboard.metrics import Period
from dashboard.models import RangePreset, ReportDelivery, ReportSubscription
from dashboard.services.exports import report_write_file

SCHEDULED_REPORT_TASK = "dashboard.tasks.send_scheduled_report"


def report_subscription_save(*, subscription: ReportSubscription) -> ReportSubscription:
    """Save a subscription and keep its django-celery-beat periodic task in step."""
    from django_celery_beat.models import PeriodicTask

    subscription.full_clean()
    with transaction.atomic():
        subscription.save()
        task = subscription.periodic_task or PeriodicTask(name=f"dashboard-report-{subscription.pk}")
        task.task = SCHEDULED_REPORT_TASK
        task.crontab = subscription.schedule
        task.interval = None
        task.kwargs = json.dumps({"subscription_id": subscription.pk})
        task.enabled = subscription.is_active
        task.description = subscription.name
        task.save()
        if subscription.periodic_task_id != task.pk:
            subscription.periodic_task = task
            ReportSubscription.objects.filter(pk=subscription.pk).update(periodic_task=task)
    return subscription


def report_subscription_delete(*, subscription: ReportSubscription) -> None:
    with transaction.atomic():
        task = subscription.periodic_task
        subscription.delete()
        if task is not None:
            task.delete()


def report_period(*, preset: str, today: datetime.date) -> Period:
    yesterday = today - datetime.timedelta(days=1)
    if preset == RangePreset.YESTERDAY:
        return Period(yesterday, yesterday)
    if preset == RangePreset.LAST_7_DAYS:
        return Period(today - datetime.timedelta(days=7), yesterday)
    if preset == RangePreset.LAST_30_DAYS:
        return Period(today - datetime.timedelta(days=30), yesterday)
    if preset == RangePreset.THIS_MONTH:
        return Period(today.replace(day=1), today)
    last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
    return Period(last_month_end.replace(day=1), last_month_end)


def report_subscription_send(
    *, subscription_id: int, today: datetime.date | None = None, force: bool = False
) -> ReportDelivery | None:
    """E-mail a subscription's report for its period, once per period (`force` sends again, unrecorded)."""
    from dashboard.exports import REPORTS, report_filename, report_has_rows
    from dashboard.metrics import ADMIN, local_today

    subscription = ReportSubscription.objects.get(pk=subscription_id)
    if not subscription.is_active and not force:
        return None
    period = report_period(preset=subscription.range_preset, today=today or local_today())
    report = REPORTS[subscription.report]
    with transaction.atomic():
        ReportSubscription.objects.select_for_update().filter(pk=subscription.pk).get()
        existing = ReportDelivery.objects.filter(
            subscription=subscription, period_start=period.start, period_end=period.end
        ).first()
        if existing is not None and not force:
            return existing
        # Subscriptions are set up by admins in the admin site; their reports see admin panels.
        audience = ADMIN
        has_rows = (
            report.count_rows(period) > 0
            if report.name in ("orders", "reconciliation")
            else report_has_rows(report.build(period, audience))
        )
        if subscription.skip_if_empty and not has_rows:
            outcome, rows = ReportDelivery.Outcome.SKIPPED_EMPTY, 0
        else:
            with tempfile.TemporaryDirectory() as directory:
                path = Path(directory) / report_filename(report, period, subscription.export_format)
                rows = report_write_file(
                    report_name=report.name,
                    period=period,
                    audience=audience,
                    export_format=subscription.export_format,
                    path=path,
                )
                message = EmailMessage(
                    subject=f"{settings.LUCKYGAS_COMPANY_NAME} {report.title} "
                    f"{period.start:%Y/%m/%d}–{period.end:%Y/%m/%d}",
                    body=gettext("Attached: %(report)s for %(start)s – %(end)s (Asia/Taipei).")
                    % {"report": report.title, "start": f"{period.start:%Y/%m/%d}", "end": f"{period.end:%Y/%m/%d}"},
                    to=subscription.recipient_list,
                )
                from dashboard.exports import CONTENT_TYPES

                message.attach(path.name, path.read_bytes(), CONTENT_TYPES[subscription.export_format])
                message.send(fail_silently=False)
            outcome = ReportDelivery.Outcome.SENT
        if force:
            return None
        return ReportDelivery.objects.create(
            subscription=subscription, period_start=period.start, period_end=period.end, outcome=outcome, rows=rows
        )
