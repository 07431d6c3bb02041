"""BI API: read-only metrics, snapshots, daily rollups and export-job status (token or session auth)."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.api.renderers import CSVRenderer
from dashboard.api.serializers import (
    SORT_CHOICES,
    DailyRollupOutputSerializer,
    ExportJobOutputSerializer,
    MetricSnapshotOutputSerializer,
    OrderListFilterSerializer,
    OrderRowOutputSerializer,
    SnapshotOutputSerializer,
)
from dashboard.live import current_seq
from dashboard.metrics import METRICS, Period, default_period, local_today, metrics_for, snapshot_get
from dashboard.periods import period_from_params
from dashboard.selectors import (
    daily_rollup_list,
    dashboard_audience_for_user,
    dashboard_order_list,
    export_job_list_for_user,
)

PERIOD_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (Asia/Taipei), YYYY-MM-DD."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (Asia/Taipei), YYYY-MM-DD, inclusive."),
]


class IsDashboardViewer(BasePermission):
    message = "The dashboard is for managers and admins."

    def has_permission(self, request: Request, view: APIView) -> bool:
        audience = dashboard_audience_for_user(request.user)
        request.dashboard_audience = audience
        return audience is not None


def _validated_period(request: Request, metric: Any) -> Any:
    try:
        return period_from_params(request.query_params, default=default_period(metric))
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict) from error


def _entry_with_seq(metric: Any, request: Request) -> dict[str, Any]:
    audience = request.dashboard_audience
    # The sequence is read before the snapshot: a push racing this request carries seq + 1 and is applied.
    seq = current_seq(audience, metric.name)
    period = _validated_period(request, metric)
    return {**snapshot_get(metric, period, audience), "seq": seq}


class DashboardApi(APIView):
    permission_classes = [IsDashboardViewer]
    renderer_classes = [JSONRenderer, CSVRenderer]


class DashboardSnapshotApi(DashboardApi):
    """Every metric the caller's role may see, for the default periods or the given one."""

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=SnapshotOutputSerializer, operation_id="dashboard_snapshot")
    def get(self, request: Request) -> Response:
        audience = request.dashboard_audience
        metrics = {metric.name: _entry_with_seq(metric, request) for metric in metrics_for(audience)}
        return Response({"audience": audience, "metrics": metrics})


class DashboardMetricApi(DashboardApi):
    """One metric (404 when it does not exist or the caller's role may not see it)."""

    @extend_schema(
        parameters=PERIOD_PARAMETERS, responses=MetricSnapshotOutputSerializer, operation_id="dashboard_metric"
    )
    def get(self, request: Request, name: str) -> Response:
        metric = METRICS.get(name)
        if metric is None or request.dashboard_audience not in metric.audiences:
            raise NotFound(f"No metric named {name!r} for your role.")
        return Response(_entry_with_seq(metric, request))


class DailyRollupPagination(CursorPagination):
    ordering = "day"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        links = [
            f'<{url}>; rel="{rel}"'
            for rel, url in (("next", self.get_next_link()), ("prev", self.get_previous_link()))
            if url
        ]
        if links:
            response["Link"] = ", ".join(links)
        return response


class DailyRollupFilterSerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"start": "The start date must not be after the end date."})
        return attrs


class DailyRollupListApi(ListAPIView):
    """Orders created, delivered, failed, cancelled and revenue per Asia/Taipei day."""

    permission_classes = [IsDashboardViewer]
    renderer_classes = [JSONRenderer, CSVRenderer]
    serializer_class = DailyRollupOutputSerializer
    pagination_class = DailyRollupPagination

    @extend_schema(parameters=PERIOD_PARAMETERS, operation_id="dashboard_daily_rollups")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = DailyRollupFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return daily_rollup_list(start=filters.validated_data.get("start"), end=filters.validated_data.get("end"))


class ExportJobDetailApi(DashboardApi):
    """Progress of an export and, once ready, its download link."""

    @extend_schema(responses=ExportJobOutputSerializer, operation_id="dashboard_export_job")
    def get(self, request: Request, job_id: str) -> Response:
        job = get_object_or_404(export_job_list_for_user(request.user), pk=job_id)
        return Response(ExportJobOutputSerializer(job).data)


ORDER_LIST_MAX_DAYS = 31


class OrderListPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class DashboardOrderListApi(ListAPIView):
    """Orders due in a period (today by default) for the dashboard's table: search, sort, pages."""

    permission_classes = [IsDashboardViewer]
    renderer_classes = [JSONRenderer, CSVRenderer]
    serializer_class = OrderRowOutputSerializer
    pagination_class = OrderListPagination

    @extend_schema(
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("q", OpenApiTypes.STR, description="Order number, customer code or part of a name."),
            OpenApiParameter("sort", OpenApiTypes.STR, enum=SORT_CHOICES),
        ],
        operation_id="dashboard_order_list",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = OrderListFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        today = local_today()
        try:
            period = period_from_params(self.request.query_params, default=Period(today, today))
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        if period.days > ORDER_LIST_MAX_DAYS:
            # The table is for days and weeks; a longer list is an export.
            message = _("Show at most %(days)d days of orders; export longer periods.")
            raise ValidationError({"start": [message % {"days": ORDER_LIST_MAX_DAYS}]})
        return dashboard_order_list(
            period=period, search=filters.validated_data.get("q", ""), sort=filters.validated_data["sort"]
        )
