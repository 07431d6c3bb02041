"""Route stops; moving stops to another route."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from luckygas.delivery import selectors, services
from luckygas.delivery.admin.common import _report_errors
from luckygas.delivery.models import (
    Route,
    RouteStop,
)


class ReassignStopsForm(forms.Form):
    route = forms.ModelChoiceField(queryset=Route.objects.none(), label=_("route"))

    def __init__(self, *args: Any, routes: QuerySet[Route], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["route"].queryset = routes.order_by("date", "driver__name")


@admin.register(RouteStop)
class RouteStopAdmin(admin.ModelAdmin):
    list_display = ("route", "sequence", "order", "status", "completed_at", "cash_collected", "empties_collected")
    list_filter = ("status", "route__date")
    search_fields = ("order__customer__short_name", "order__customer__code")
    list_select_related = ("route__driver", "order")
    readonly_fields = (
        "route",
        "order",
        "status",
        "completed_at",
        "cash_collected",
        "empties_collected",
        "outcome_note",
        "version",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[RouteStop]:
        return selectors.route_stop_list_for_user(request.user)

    def has_change_permission(self, request: HttpRequest, obj: RouteStop | None = None) -> bool:
        # A stop of a past route imported from LuckyGas v3 is history: shown, never changed here.
        return (obj is None or obj.legacy_id is None) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: RouteStop | None = None) -> bool:
        return (obj is None or obj.legacy_id is None) and super().has_delete_permission(request, obj)

    actions = ["reassign_stops"]

    @admin.action(description=_("Move selected stops to another route"), permissions=["change"])
    def reassign_stops(self, request: HttpRequest, queryset: QuerySet[RouteStop]) -> HttpResponse | None:
        stops = list(queryset.select_related("route__driver", "order__customer").order_by("route", "sequence"))
        routes = Route.objects.select_related("driver").filter(
            date__in={stop.route.date for stop in stops}, driver__is_active=True
        )
        form = ReassignStopsForm(request.POST if "apply" in request.POST else None, routes=routes)
        if "apply" in request.POST and form.is_valid():
            moved = 0
            for stop in stops:
                try:
                    services.route_stop_reassign(stop=stop, route=form.cleaned_data["route"], actor=request.user)
                except ValidationError as error:
                    _report_errors(request, error)
                else:
                    moved += 1
            if moved:
                messages.success(
                    request,
                    ngettext("%(count)d stop moved to %(route)s.", "%(count)d stops moved to %(route)s.", moved)
                    % {"count": moved, "route": form.cleaned_data["route"]},
                )
            return None
        return render(
            request,
            "admin/delivery/routestop/reassign.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Move stops to another route"),
                "stops": stops,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
