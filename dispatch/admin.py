"""Dispatch in the admin: depots (with their pin), the day's vehicle shifts, and the plans (read-only; edited on the
planning page)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dispatch.models import Depot, PlanDraft, VehicleShift
from dispatch.services.problem import UnplannedReason
from dispatch.services.shifts import shifts_copy_to_date
from luckygas.admin_tools import ReadOnlyAdmin
from luckygas.delivery.admin.widgets import MapPinWidget

PLANNING_PAGE = "/dispatch/"
REASONS = {
    UnplannedReason.NO_COORDINATES: _("no coordinates"),
    UnplannedReason.OUTSIDE_SHIFTS: _("outside every shift"),
    UnplannedReason.OVER_CAPACITY: _("over capacity"),
    UnplannedReason.CLOSED_DAY: _("customer closed that day"),
    UnplannedReason.NOT_ROUTED: _("not routed by the solver"),
    UnplannedReason.REMOVED_BY_DISPATCHER: _("removed by the dispatcher"),
}


def _map_link(latitude: Any, longitude: Any) -> str:
    return format_html(
        '<a href="https://www.openstreetmap.org/?mlat={0}&amp;mlon={1}#map=17/{0}/{1}" target="_blank" '
        'rel="noopener">{0}, {1}</a>',
        latitude,
        longitude,
    )


@admin.register(Depot)
class DepotAdmin(admin.ModelAdmin):
    list_display = ("name", "pin", "opens_at", "closes_at", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
    fields = ("name", "latitude", "longitude", "opens_at", "closes_at", "is_active")

    def formfield_for_dbfield(self, db_field: models.Field, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "latitude":
            kwargs["widget"] = MapPinWidget()
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("map pin"))
    def pin(self, depot: Depot) -> str:
        return _map_link(depot.latitude, depot.longitude)


@admin.register(VehicleShift)
class VehicleShiftAdmin(admin.ModelAdmin):
    list_display = ("date", "depot", "driver", "vehicle", "starts_at", "ends_at", "capacity_kg", "capacity_slots")
    list_filter = (("date", admin.DateFieldListFilter), "depot")
    list_select_related = ("depot", "driver", "vehicle")
    search_fields = ("driver__name", "vehicle__plate_number")
    date_hierarchy = "date"
    actions = ["copy_to_next_day"]

    @admin.action(description=_("Copy selected shifts to the next day"), permissions=["add"])
    def copy_to_next_day(self, request: HttpRequest, queryset: QuerySet[VehicleShift]) -> None:
        by_date: dict[datetime.date, list[VehicleShift]] = {}
        for shift in queryset.order_by("pk"):
            by_date.setdefault(shift.date, []).append(shift)
        copied = skipped = 0
        for date, shifts in sorted(by_date.items()):
            done, refused = shifts_copy_to_date(shifts=shifts, date=date + datetime.timedelta(days=1))
            copied, skipped = copied + done, skipped + refused
        messages.success(
            request, ngettext("%(count)d shift copied.", "%(count)d shifts copied.", copied) % {"count": copied}
        )
        if skipped:
            messages.warning(
                request,
                ngettext(
                    "%(count)d shift not copied: its driver or vehicle already has a shift that day.",
                    "%(count)d shifts not copied: their driver or vehicle already has a shift that day.",
                    skipped,
                )
                % {"count": skipped},
            )


@admin.register(PlanDraft)
class PlanDraftAdmin(ReadOnlyAdmin):
    list_display = (
        "date",
        "depot",
        "status",
        "progress",
        "route_count",
        "stop_count",
        "distance_km",
        "unplanned_count",
        "planning_page",
    )
    list_filter = ("status", ("date", admin.DateFieldListFilter), "depot")
    list_select_related = ("depot", "created_by")
    date_hierarchy = "date"
    fields = (
        "date",
        "depot",
        "status",
        "progress",
        "time_limit_seconds",
        "route_count",
        "stop_count",
        "distance_km",
        "unplanned_list",
        "error",
        "created_by",
        "created_at",
        "updated_at",
        "published_at",
        "planning_page",
    )
    readonly_fields = fields

    @admin.display(description=_("routes"))
    def route_count(self, plan: PlanDraft) -> int:
        return sum(1 for route in plan.routes or [] if route.get("stops"))

    @admin.display(description=_("stops"))
    def stop_count(self, plan: PlanDraft) -> int:
        return sum(len(route.get("stops") or []) for route in plan.routes or [])

    @admin.display(description=_("distance (km)"), ordering="distance_m")
    def distance_km(self, plan: PlanDraft) -> str:
        return f"{plan.distance_m / 1000:.1f}"

    @admin.display(description=_("unplanned"))
    def unplanned_count(self, plan: PlanDraft) -> int:
        return len(plan.unplanned or [])

    @admin.display(description=_("unplanned orders"))
    def unplanned_list(self, plan: PlanDraft) -> str:
        if not plan.unplanned:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {}</li>",
                (
                    (entry.get("order"), REASONS.get(entry.get("reason"), entry.get("reason")))
                    for entry in plan.unplanned
                ),
            ),
        )

    @admin.display(description=_("planning page"))
    def planning_page(self, plan: PlanDraft) -> str:
        return format_html('<a href="{}?plan={}">{}</a>', PLANNING_PAGE, plan.pk, _("Open on the planning page"))
