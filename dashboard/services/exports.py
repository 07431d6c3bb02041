"""Exports: the direct-or-queued choice, writing a report file, and the export job."""

import datetime
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from dashboard.metrics import Period
from dashboard.models import ExportFormat, ExportJob, ExportStatus

logger = logging.getLogger(__name__)

EXPORT_ATTEMPTS = 3  # workers that may take one job (each died or lost it) before it is failed


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.DASHBOARD_EXPORT_LEASE_SECONDS)


@dataclass(frozen=True)
class ExportFile:
    """A small export written at once: its file name, content type and bytes."""

    filename: str
    content_type: str
    content: bytes


def export_is_queued(*, export_format: str, rows: int) -> bool:
    """Large exports (and PDFs past a quarter of the PDF limit) run as a Celery job, not in the request."""
    from dashboard.exports import ASYNC_ROW_THRESHOLD, PDF_ROW_LIMIT

    return rows > ASYNC_ROW_THRESHOLD or (export_format == ExportFormat.PDF and rows > PDF_ROW_LIMIT // 4)


def export_request(
    *, user: AbstractBaseUser, report_name: str, export_format: str, period: Period, audience: str
) -> ExportJob | ExportFile:
    """Write a small export at once or queue a large one; the audience must be allowed the report."""
    from dashboard.exports import CONTENT_TYPES, REPORTS, report_filename

    report = REPORTS[report_name]
    if audience not in report.audiences:
        raise PermissionError(report_name)
    rows = report.count_rows(period)
    if export_is_queued(export_format=export_format, rows=rows):
        return export_job_create(
            user=user, report_name=report.name, export_format=export_format, period=period, rows_total=rows
        )
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / report_filename(report, period, export_format)
        report_write_file(
            report_name=report.name, period=period, audience=audience, export_format=export_format, path=path
        )
        return ExportFile(filename=path.name, content_type=CONTENT_TYPES[export_format], content=path.read_bytes())


def report_write_file(
    *,
    report_name: str,
    period: Period,
    audience: str,
    export_format: str,
    path: Path,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write a report for an audience that may see it; returns the rows written."""
    from dashboard.exports import REPORTS, WRITERS

    report = REPORTS[report_name]
    if audience not in report.audiences:
        raise PermissionError(report_name)
    tables = report.build(period, audience)
    return WRITERS[export_format](tables, path, title=str(report.title), period=period, progress=progress)


def export_job_create(
    *, user: AbstractBaseUser, report_name: str, export_format: str, period: Period, rows_total: int
) -> ExportJob:
    """Queue a large export; the job keeps the filter (report and period), never a list of ids."""
    from dashboard.tasks import export_run

    job = ExportJob.objects.create(
        requested_by=user,
        report=report_name,
        export_format=export_format,
        filters={"start": period.start.isoformat(), "end": period.end.isoformat()},
        rows_total=rows_total,
    )
    transaction.on_commit(lambda: export_run.delay(str(job.pk)))
    return job


def export_job_run(*, job_id: str) -> ExportJob:
    """Run a waiting export job once (a claim by conditional UPDATE makes a second delivery a no-op).

    The claim holds the job for DASHBOARD_EXPORT_LEASE_SECONDS, renewed as rows are written: a worker killed
    meanwhile leaves the job to `export_jobs_recover`."""
    from dashboard.exports import REPORTS, report_filename
    from dashboard.selectors import dashboard_audience_for_user

    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING, lease_until=timezone.now() + _lease(), attempts=F("attempts") + 1
    )
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if not claimed:
        return job
    period = Period(datetime.date.fromisoformat(job.filters["start"]), datetime.date.fromisoformat(job.filters["end"]))
    audience = dashboard_audience_for_user(job.requested_by)

    def progress(rows: int) -> None:  # also tells the recovery this worker is alive
        ExportJob.objects.filter(pk=job.pk).update(rows_done=rows, lease_until=timezone.now() + _lease())

    try:
        if audience is None:
            raise PermissionError(job.report)
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / report_filename(REPORTS[job.report], period, job.export_format)
            rows = report_write_file(
                report_name=job.report,
                period=period,
                audience=audience,
                export_format=job.export_format,
                path=path,
                progress=progress,
            )
            with path.open("rb") as handle:
                job.file.save(path.name, File(handle), save=False)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.DONE, file=job.file.name, rows_done=rows, finished_at=timezone.now()
        )
    except Exception as error:
        logger.exception("export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=type(error).__name__, finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job


def export_jobs_recover() -> dict[str, int]:
    """Give export jobs whose worker died (lease over) or whose queue message was lost (waiting a lease long)
    to a worker again; a job that already had EXPORT_ATTEMPTS workers is failed. Safe to run concurrently."""
    from dashboard.tasks import export_run

    now = timezone.now()
    counts = {"requeued": 0, "failed": 0}
    dead = Q(status=ExportStatus.RUNNING, lease_until__lt=now)  # its worker died or lost it
    lost = Q(status=ExportStatus.PENDING, queued_at__lt=now - _lease())  # its queue message was lost
    counts["failed"] = ExportJob.objects.filter(dead, attempts__gte=EXPORT_ATTEMPTS).update(
        status=ExportStatus.FAILED, error="worker lost", finished_at=now
    )
    for condition in (dead, lost):
        for job_id in ExportJob.objects.filter(condition).values_list("pk", flat=True):
            # Claimed by a conditional UPDATE: two recoveries at once queue a job once.
            claimed = ExportJob.objects.filter(condition, pk=job_id).update(
                status=ExportStatus.PENDING, queued_at=now, lease_until=None
            )
            if claimed:
                counts["requeued"] += 1
                transaction.on_commit(lambda job_id=job_id: export_run.delay(str(job_id)))
    if any(counts.values()):
        logger.warning("export jobs recovered", extra=counts)
    return counts
