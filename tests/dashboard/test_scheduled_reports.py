"""Report subscriptions: a django-celery-beat task per subscription, e-mailed once per period."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from dashboard.models import ReportDelivery, ReportSubscription
from dashboard.services import report_subscription_save, report_subscription_send
from dashboard.tasks import send_scheduled_report
from tests.dashboard.helpers import delivered_order_at, taipei

TODAY = datetime.date(2026, 11, 10)


@pytest.fixture
def schedule(db) -> CrontabSchedule:
    return CrontabSchedule.objects.create(minute="0", hour="7", timezone="Asia/Taipei")


def subscription(schedule, **fields) -> ReportSubscription:
    values = {
        "name": "每日訂單",
        "recipients": "boss@luckygas.example, office@luckygas.example",
        "report": "orders",
        "export_format": "xlsx",
        "range_preset": "yesterday",
        "schedule": schedule,
    }
    return report_subscription_save(subscription=ReportSubscription(**(values | fields)))


def test_saving_a_subscription_schedules_its_beat_task(schedule):
    saved = subscription(schedule)
    task = PeriodicTask.objects.get(pk=saved.periodic_task_id)
    assert (task.task, task.crontab, task.enabled) == ("dashboard.tasks.send_scheduled_report", schedule, True)
    assert task.kwargs == f'{{"subscription_id": {saved.pk}}}'
    saved.is_active = False
    report_subscription_save(subscription=saved)
    task.refresh_from_db()
    assert task.enabled is False


def test_bad_recipients_are_refused_naming_the_field(schedule):
    with pytest.raises(ValidationError) as error:
        subscription(schedule, recipients="boss@luckygas.example, not-an-address")
    assert "recipients" in error.value.message_dict
    assert not ReportSubscription.objects.exists()


def test_the_report_is_mailed_once_per_period_with_the_attachment(
    schedule, mailoutbox, django_capture_on_commit_callbacks
):
    delivered_order_at(taipei(2026, 11, 9, 9, 0), capture=django_capture_on_commit_callbacks)
    saved = subscription(schedule)
    delivery = report_subscription_send(subscription_id=saved.pk, today=TODAY)
    again = report_subscription_send(subscription_id=saved.pk, today=TODAY)
    assert (delivery.outcome, delivery.rows, again.pk) == ("sent", 1, delivery.pk)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["boss@luckygas.example", "office@luckygas.example"]
    assert "2026/11/09" in message.subject
    name, content, mimetype = message.attachments[0]
    assert name == "luckygas-orders-20261109-20261109.xlsx"
    assert mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert content[:2] == b"PK"


def test_an_empty_period_is_skipped_when_asked(schedule, mailoutbox):
    saved = subscription(schedule, export_format="pdf", report="finance")
    delivery = report_subscription_send(subscription_id=saved.pk, today=TODAY)
    assert delivery.outcome == ReportDelivery.Outcome.SKIPPED_EMPTY
    assert mailoutbox == []


def test_the_beat_task_sends_through_the_service(schedule, mailoutbox):
    saved = subscription(schedule, skip_if_empty=False, export_format="pdf", report="executive")
    assert send_scheduled_report(saved.pk) == "sent"
    assert mailoutbox[0].attachments[0][2] == "application/pdf"
