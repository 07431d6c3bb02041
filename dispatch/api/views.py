"""The planning page's API: office staff and admins plan a depot's day, adjust the draft and publish it."""

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.api.serializers import (
    DayQuerySerializer,
    PlanCreateInputSerializer,
    PlanPublishInputSerializer,
    PlanReoptimizeInputSerializer,
    StopLockInputSerializer,
    StopMoveInputSerializer,
    StopUnplanInputSerializer,
)
from dispatch.models import PlanDraft, PlanStatus
from dispatch.selectors import plan_detail, planning_day, user_may_plan
from dispatch.services import plan_create, plan_publish, plan_stop_lock, plan_stop_move, plan_stop_unplan
from dispatch.services.plans import plan_reoptimize
from luckygas.api import error_response


class IsPlanner(BasePermission):
    message = _("You need the permission to plan routes.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return user_may_plan(request.user)


class PlanningApi(APIView):
    permission_classes = [IsPlanner]


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _locked_plan(plan_id: int) -> PlanDraft:
    """The plan, locked for this transaction: two edits of one draft apply one after the other."""
    return get_object_or_404(PlanDraft.objects.select_for_update().select_related("depot"), pk=plan_id)


class PlanningDayApi(PlanningApi):
    """A depot's day: its orders (those that cannot be planned with the reason), its vehicle shifts, its latest plan."""

    @extend_schema(parameters=[DayQuerySerializer], operation_id="dispatch_day", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        query = _valid(DayQuerySerializer, request.query_params)
        return Response(planning_day(date=query["date"], depot=query["depot"]))


class PlanCreateApi(PlanningApi):
    """Start planning a depot's day: a queued draft, solved by a Celery task; poll the plan for its progress."""

    @extend_schema(
        request=PlanCreateInputSerializer, operation_id="dispatch_plan_create", responses=OpenApiTypes.OBJECT
    )
    def post(self, request: Request) -> Response:
        data = _valid(PlanCreateInputSerializer, request.data)
        with transaction.atomic():
            plan = plan_create(
                date=data["date"],
                depot=data["depot"],
                time_limit_seconds=data["time_limit_seconds"],
                created_by=request.user,
            )
        plan.refresh_from_db()
        return Response({"id": plan.pk, "status": plan.status}, status=202)


class PlanDetailApi(PlanningApi):
    """A plan: status and progress, routes with totals, unplanned orders with reasons, violations."""

    @extend_schema(operation_id="dispatch_plan", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, plan_id: int) -> Response:
        plan = get_object_or_404(PlanDraft.objects.select_related("depot"), pk=plan_id)
        return Response(plan_detail(plan=plan))


class PlanStopMoveApi(PlanningApi):
    """Move an order to a shift's route at a position; the draft is checked at once and its violations returned."""

    @extend_schema(
        request=StopMoveInputSerializer, operation_id="dispatch_plan_stop_move", responses=OpenApiTypes.OBJECT
    )
    def post(self, request: Request, plan_id: int) -> Response:
        data = _valid(StopMoveInputSerializer, request.data)
        with transaction.atomic():
            plan = _locked_plan(plan_id)
            violations = plan_stop_move(
                plan=plan, order_id=data["order"], shift_id=data["shift"], position=data["position"]
            )
        return Response({"violations": violations, "plan": plan_detail(plan=plan)})


class PlanStopUnplanApi(PlanningApi):
    """Take a stop off its route back to the unplanned orders (removed by the dispatcher); the draft is checked."""

    @extend_schema(
        request=StopUnplanInputSerializer, operation_id="dispatch_plan_stop_unplan", responses=OpenApiTypes.OBJECT
    )
    def post(self, request: Request, plan_id: int) -> Response:
        data = _valid(StopUnplanInputSerializer, request.data)
        with transaction.atomic():
            plan = _locked_plan(plan_id)
            violations = plan_stop_unplan(plan=plan, order_id=data["order"])
        return Response({"violations": violations, "plan": plan_detail(plan=plan)})


class PlanStopLockApi(PlanningApi):
    """Lock a stop where it is (re-optimizing keeps it), or unlock it."""

    @extend_schema(
        request=StopLockInputSerializer, operation_id="dispatch_plan_stop_lock", responses=OpenApiTypes.OBJECT
    )
    def post(self, request: Request, plan_id: int) -> Response:
        data = _valid(StopLockInputSerializer, request.data)
        with transaction.atomic():
            plan = _locked_plan(plan_id)
            plan_stop_lock(plan=plan, order_id=data["order"], is_locked=data["is_locked"])
        return Response({"order": data["order"], "is_locked": data["is_locked"]})


class PlanReoptimizeApi(PlanningApi):
    """Re-plan the draft around its locked stops, as a Celery task; poll the plan for its progress."""

    @extend_schema(
        request=PlanReoptimizeInputSerializer, operation_id="dispatch_plan_reoptimize", responses=OpenApiTypes.OBJECT
    )
    def post(self, request: Request, plan_id: int) -> Response:
        data = _valid(PlanReoptimizeInputSerializer, request.data)
        get_object_or_404(PlanDraft, pk=plan_id)
        with transaction.atomic():
            plan = plan_reoptimize(plan_id=plan_id, time_limit_seconds=data.get("time_limit_seconds"))
        plan.refresh_from_db()
        return Response({"id": plan.pk, "status": plan.status}, status=202)


class PlanPublishApi(PlanningApi):
    """Publish the draft: routes and stops through the core services, in one transaction. Once only."""

    @extend_schema(
        request=PlanPublishInputSerializer, operation_id="dispatch_plan_publish", responses=OpenApiTypes.OBJECT
    )
    def post(self, request: Request, plan_id: int) -> Response:
        data = _valid(PlanPublishInputSerializer, request.data)
        plan = get_object_or_404(PlanDraft.objects.select_related("depot"), pk=plan_id)
        if plan.status == PlanStatus.PUBLISHED:
            return error_response(409, "already_published", _("This plan is already published."))
        routes = plan_publish(plan=plan, actor=request.user, send_arrival_sms=data["send_arrival_sms"])
        return Response(
            {
                "id": plan.pk,
                "status": plan.status,
                "published_at": plan.published_at.isoformat() if plan.published_at else None,
                "routes": [
                    {"id": route.pk, "driver": route.driver_id, "stops": route.stops.count()} for route in routes
                ],
            }
        )
