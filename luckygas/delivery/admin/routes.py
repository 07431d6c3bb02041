"""Routes and their stops inline; starting a route."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from luckygas.delivery import selectors, services
from luckygas.delivery.models import (
    Route,
    RouteStop,
)
from training.admin_filters import RoutePracticeFilter


class RouteStopInline(admin.TabularInline):
    model = RouteStop
    extra = 0
    fields = (
        "sequence",
        "order",
        "customer_name",
        "status",
        "completed_at",
        "cash_collected",
        "empties_collected",
        "outcome_note",
        "version",
    )
    readonly_fields = fields[1:]  # every column but the sequence
    ordering = ("sequence",)

    @admin.display(description=_("customer"))
    def customer_name(self, stop: RouteStop) -> str:
        return str(stop.order.customer)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RouteStop]:
        return super().get_queryset(request).select_related("order__customer")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ("date", "driver", "vehicle", "status", "stop_count", "done_count", "cash_total")
    list_filter = ("status", "date", "driver", RoutePracticeFilter)
    date_hierarchy = "date"
    search_fields = ("driver__name",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [RouteStopInline]
    actions = ["start_routes"]

    def has_change_permission(self, request: HttpRequest, obj: Route | None = None) -> bool:
        # A past route imported from LuckyGas v3 is history: shown, never changed here.
        return (obj is None or obj.legacy_id is None) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Route | None = None) -> bool:
        return (obj is None or obj.legacy_id is None) and super().has_delete_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Route]:
        return selectors.route_list_for_user(request.user).annotate(
            stop_count=Count("stops", distinct=True),
            done_count=Count("stops", filter=~Q(stops__status="pending"), distinct=True),
            cash_total=Sum("stops__cash_collected"),
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RouteStop:
            super().save_formset(request, form, formset, change)
            return
        # Only the stop numbers are editable here; a new order goes through the service so
        # every moved stop gets a new version and drivers' phones pull the change.
        formset.save(commit=False)  # fills the change lists the admin log reads; writes nothing
        wanted = sorted(
            (stop_form.cleaned_data["sequence"], stop_form.initial["sequence"], stop_form.instance.pk)
            for stop_form in formset.forms
            if stop_form.instance.pk and stop_form.cleaned_data
        )
        if [previous for _wanted, previous, _pk in wanted] != sorted(previous for _w, previous, _p in wanted):
            services.route_stop_reorder(route=form.instance, stop_ids=[pk for _w, _p, pk in wanted])

    @admin.display(description=_("stops"), ordering="stop_count")
    def stop_count(self, route: Route) -> int:
        return route.stop_count

    @admin.display(description=_("done"), ordering="done_count")
    def done_count(self, route: Route) -> int:
        return route.done_count

    @admin.display(description=_("cash collected (TWD)"))
    def cash_total(self, route: Route) -> int:
        return route.cash_total or 0

    @admin.action(description=_("Start selected routes (orders go out for delivery)"), permissions=["change"])
    def start_routes(self, request: HttpRequest, queryset: QuerySet[Route]) -> None:
        for route in queryset:
            services.route_start(route=route, actor=request.user)
        messages.success(request, _("Routes started."))
