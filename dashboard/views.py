"""Dashboard pages: the live dashboard, exports (direct or as a Celery job) and their downloads."""

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dashboard import services
from dashboard.exports import REPORTS
from dashboard.live import DEFAULT_INTERVAL
from dashboard.metrics import METRICS, PANELS, Period, default_period, local_today, metrics_for
from dashboard.models import ExportFormat, ExportJob, ExportStatus
from dashboard.periods import period_from_params
from dashboard.selectors import dashboard_audience_for_user, export_job_list_for_user


def _audience_or_403(request: HttpRequest) -> str:
    audience = dashboard_audience_for_user(request.user)
    if audience is None:
        raise PermissionDenied(_("The dashboard is for managers and admins."))
    return audience


def _page_strings() -> dict[str, object]:
    return {
        "connected": _("Live"),
        "reconnecting": _("Reconnecting…"),
        "stale": _("Stale"),
        "denied": _("No access"),
        "paused": _("Custom period"),
        "updatedAgo": _("updated %s ago"),
        "seconds": _("%s s"),
        "minutes": _("%s min"),
        "noData": _("No data"),
        "orders": _("Orders"),
        "revenue": _("Revenue"),
        "stopsDone": _("Done"),
        "stopsLeft": _("Left"),
        "never": _("never"),
        "ordersCount": _("%s orders"),
        "pageOf": _("Page %(page)s of %(pages)s"),
        "noOrders": _("No orders match."),
        "loading": _("Loading…"),
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        "circuit": {"closed": _("OK"), "open": _("Down"), "half_open": _("Recovering")},
    }


@login_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    audience = _audience_or_403(request)
    metrics = metrics_for(audience)
    panels = [
        {"name": name, "title": title}
        for name, title in PANELS.items()
        if any(metric.panel == name for metric in metrics)
    ]
    today = local_today()
    config = {
        "audience": audience,
        "socketPath": "/ws/dashboard/",
        "snapshotUrl": reverse("dashboard:api-snapshot"),
        "metricUrl": reverse("dashboard:api-metric", args=["METRIC"]),
        "ordersUrl": reverse("dashboard:api-orders"),
        "exportUrl": reverse("dashboard:export", args=["REPORT", "FORMAT"]),
        "intervalSeconds": DEFAULT_INTERVAL,
        "today": today.isoformat(),
        "metrics": {
            metric.name: {
                "panel": metric.panel,
                "ttl": metric.ttl_seconds,
                "start": default_period(metric, today).start.isoformat(),
                "end": default_period(metric, today).end.isoformat(),
            }
            for metric in metrics
        },
    }
    reports = [
        {"name": report.name, "title": report.title} for report in REPORTS.values() if audience in report.audiences
    ]
    return render(
        request,
        "dashboard/dashboard.html",
        {"audience": audience, "panels": panels, "reports": reports, "config": config, "i18n": _page_strings()},
    )


@login_required
@require_GET
def export_report(request: HttpRequest, report_name: str, export_format: str) -> HttpResponse:
    """Small exports come back at once; large ones become a Celery job with a progress page."""
    audience = _audience_or_403(request)
    report = REPORTS.get(report_name)
    if report is None or export_format not in ExportFormat.values:
        raise Http404
    if audience not in report.audiences:
        raise PermissionDenied
    panel_metric = next((metric for metric in METRICS.values() if metric.panel == report_name), None)
    today = local_today()
    default = default_period(panel_metric, today) if panel_metric else Period(today.replace(day=1), today)
    try:
        period = period_from_params(request.GET, default=default)
    except ValidationError as error:
        return HttpResponseBadRequest(
            "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()),
            content_type="text/plain; charset=utf-8",
        )
    outcome = services.export_request(
        user=request.user, report_name=report.name, export_format=export_format, period=period, audience=audience
    )
    if isinstance(outcome, ExportJob):
        return redirect("dashboard:export-job", outcome.pk)
    response = HttpResponse(outcome.content, content_type=outcome.content_type)
    response["Content-Disposition"] = f'attachment; filename="{outcome.filename}"'
    return response


@login_required
@require_GET
def export_job_page(request: HttpRequest, job_id: str) -> HttpResponse:
    _audience_or_403(request)
    job = get_object_or_404(export_job_list_for_user(request.user), pk=job_id)
    return render(
        request,
        "dashboard/export_job.html",
        {"job": job, "status_url": reverse("dashboard:api-export-job", args=[job.pk])},
    )


@login_required
@require_GET
def export_download(request: HttpRequest, job_id: str) -> FileResponse:
    _audience_or_403(request)
    job = get_object_or_404(export_job_list_for_user(request.user), pk=job_id)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=Path(job.file.name).name)
