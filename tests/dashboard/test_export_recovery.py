"""A queued export whose worker was killed, or whose queue message was lost, still finishes. Found while adding
managers' exports to the soak, whose faults kill workers and flush Redis: a job left `running` by a worker killed
with kill -9 stayed so for good (the redelivered message found it claimed), and a job whose message a flush lost
stayed `pending`; either way the manager's progress page waited forever."""

import datetime

import pytest
from django.utils import timezone

from dashboard import services, tasks
from dashboard.models import ExportJob, ExportStatus
from dashboard.services.exports import EXPORT_ATTEMPTS
from luckygas.delivery.models import Order, OrderStatus
from tests.delivery.factories import CustomerFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 9)


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """The job ids put on the exports queue (the broker is outside the test)."""
    sent: list[str] = []
    monkeypatch.setattr(tasks.export_run, "delay", sent.append)
    return sent


@pytest.fixture
def job(manager, settings, tmp_path) -> ExportJob:
    settings.MEDIA_ROOT = tmp_path
    settings.DASHBOARD_EXPORT_LEASE_SECONDS = 600
    customer = CustomerFactory()
    Order.objects.bulk_create(
        Order(customer=customer, delivery_date=DAY, payment_method="cash", total_amount=950, status=OrderStatus.PENDING)
        for _index in range(3)
    )
    return ExportJob.objects.create(
        requested_by=manager,
        report="orders",
        export_format="xlsx",
        filters={"start": DAY.isoformat(), "end": DAY.isoformat()},
        rows_total=3,
    )


def killed_while_running(job: ExportJob, *, minutes_ago: int) -> None:
    """What a worker killed with kill -9 leaves: the job claimed, its lease running out `minutes_ago`."""
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING,
        attempts=1,
        lease_until=timezone.now() - datetime.timedelta(minutes=minutes_ago),
    )


def test_a_job_whose_worker_was_killed_is_run_again_and_finishes(job, queued, django_capture_on_commit_callbacks):
    # given: its worker died mid-run; the message, redelivered, finds the job running and does nothing
    killed_while_running(job, minutes_ago=1)
    assert services.export_job_run(job_id=str(job.pk)).status == ExportStatus.RUNNING
    # when
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.export_jobs_recover()
    # then it is queued again, and the next worker finishes it
    assert counts == {"requeued": 1, "failed": 0}
    assert queued == [str(job.pk)]
    done = services.export_job_run(job_id=str(job.pk))
    assert (done.status, done.rows_done, done.attempts) == (ExportStatus.DONE, 3, 2)
    assert done.file.name.endswith(".xlsx")


def test_a_running_job_whose_worker_is_alive_is_left_alone(job, queued, django_capture_on_commit_callbacks):
    # given: claimed a moment ago, its lease still running
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, attempts=1, lease_until=timezone.now() + datetime.timedelta(minutes=5)
    )
    # when
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.export_jobs_recover()
    # then
    assert counts == {"requeued": 0, "failed": 0}
    assert queued == []
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.RUNNING


def test_a_waiting_job_whose_message_was_lost_is_queued_again_once(job, queued, django_capture_on_commit_callbacks):
    # given: queued longer ago than a lease (Redis was flushed: the message is gone)
    ExportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - datetime.timedelta(minutes=11))
    # when the recovery runs twice
    with django_capture_on_commit_callbacks(execute=True):
        first = services.export_jobs_recover()
        second = services.export_jobs_recover()
    # then it went back on the queue once (its new queued_at starts a new wait)
    assert (first, second) == ({"requeued": 1, "failed": 0}, {"requeued": 0, "failed": 0})
    assert queued == [str(job.pk)]
    assert services.export_job_run(job_id=str(job.pk)).status == ExportStatus.DONE


def test_a_job_that_lost_every_worker_it_was_given_is_failed(job, queued, django_capture_on_commit_callbacks):
    # given: its last allowed worker died too
    killed_while_running(job, minutes_ago=1)
    ExportJob.objects.filter(pk=job.pk).update(attempts=EXPORT_ATTEMPTS)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.export_jobs_recover()
    # then the manager's page shows it failed, and nothing is queued
    failed = ExportJob.objects.get(pk=job.pk)
    assert counts == {"requeued": 0, "failed": 1}
    assert (failed.status, failed.error, queued) == (ExportStatus.FAILED, "worker lost", [])
    assert failed.finished_at is not None


def test_a_worker_holds_its_job_a_lease_long(job, settings):
    # given
    settings.DASHBOARD_EXPORT_LEASE_SECONDS = 60
    before = timezone.now()
    # when
    done = services.export_job_run(job_id=str(job.pk))
    # then the claim (and each progress report after it) held the job a lease past that moment
    assert (done.status, done.attempts) == (ExportStatus.DONE, 1)
    assert done.lease_until >= before + datetime.timedelta(seconds=60)
