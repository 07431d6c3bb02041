"""Order templates (recurring orders) for office staff, and the record of what each date gave."""

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from luckygas.admin_tools import ReadOnlyAdmin, TolerantAutocompleteMixin
from luckygas.delivery import services
from luckygas.delivery.admin.common import HistoryInline
from luckygas.delivery.models import WEEKDAY_CHOICES, OrderTemplate, OrderTemplateLine, RecurringOrder


class OrderTemplateForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("weekdays"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Weekly: the weekdays to deliver (none: the first date's weekday)."),
    )

    class Meta:
        model = OrderTemplate
        fields = (
            "customer",
            "name",
            "is_active",
            "recurrence",
            "interval",
            "weekdays",
            "day_of_month",
            "starts_on",
            "ends_on",
            "slot",
            "priority",
            "payment_method",
            "delivery_notes",
        )
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class OrderTemplateLineInline(admin.TabularInline):
    model = OrderTemplateLine
    extra = 0
    min_num = 1
    fields = ("product", "quantity")


class RecurringOrderInline(HistoryInline):
    model = RecurringOrder
    fields = ("date", "outcome", "order", "reason")
    ordering = ("-date",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecurringOrder]:
        return super().get_queryset(request).select_related("order")


@admin.register(OrderTemplate)
class OrderTemplateAdmin(TolerantAutocompleteMixin, admin.ModelAdmin):
    form = OrderTemplateForm
    list_display = ("name", "customer", "schedule", "next_dates_text", "priority", "is_active")
    list_filter = ("is_active", "recurrence", "priority", "customer__area")
    search_fields = ("name", "customer__code", "customer__short_name", "customer__phone")
    autocomplete_fields = ("customer",)
    list_select_related = ("customer",)
    readonly_fields = ("upcoming", "created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("customer", "name", "is_active")}),
        (
            _("When"),
            {"fields": ("recurrence", "interval", "weekdays", "day_of_month", "starts_on", "ends_on", "upcoming")},
        ),
        (_("Order"), {"fields": ("slot", "priority", "payment_method", "delivery_notes")}),
        (_("Record"), {"fields": ("created_by", "created_at", "updated_at")}),
    )
    inlines = [OrderTemplateLineInline, RecurringOrderInline]
    actions = ["create_tomorrows_orders"]
    list_per_page = 50

    @admin.display(description=_("repeats"))
    def schedule(self, template: OrderTemplate) -> str:
        if template.recurrence == "weekly":
            names = ", ".join(str(label) for day, label in WEEKDAY_CHOICES if day in (template.weekdays or []))
            return _("every %(n)d week(s): %(days)s") % {"n": template.interval, "days": names or "—"}
        if template.recurrence == "monthly":
            day = template.day_of_month or template.starts_on.day
            return _("every %(n)d month(s) on day %(day)d") % {"n": template.interval, "day": day}
        return _("every %(n)d day(s)") % {"n": template.interval}

    def _next(self, template: OrderTemplate, count: int) -> list[datetime.date]:
        return services.order_template_next_dates(
            template=template, after=timezone.localdate() - datetime.timedelta(days=1), count=count
        )

    @admin.display(description=_("next dates"))
    def next_dates_text(self, template: OrderTemplate) -> str:
        if not template.is_active:
            return "—"
        return ", ".join(f"{day:%m-%d}" for day in self._next(template, 3)) or "—"

    @admin.display(description=_("next dates"))
    def upcoming(self, template: OrderTemplate) -> Any:
        if template.pk is None:
            return _("Shown after saving.")
        closed = set(template.customer.closed_days or [])
        rows = [
            (
                f"{day:%Y-%m-%d}",
                WEEKDAY_CHOICES[day.weekday()][1],
                _("closed: no order") if day.weekday() in closed else "",
            )
            for day in self._next(template, 6)
        ]
        if not rows:
            return _("No more dates.")
        return format_html_join("", "<div>{} {} <strong>{}</strong></div>", rows)

    def save_model(self, request: HttpRequest, obj: OrderTemplate, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Create tomorrow's orders now for the selected templates"), permissions=["change"])
    def create_tomorrows_orders(self, request: HttpRequest, queryset: QuerySet[OrderTemplate]) -> None:
        run = services.recurring_orders_create_for_tomorrow(
            actor=request.user, template_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            _("%(date)s: %(created)d orders created, %(skipped)d skipped, %(done)d already created before.")
            % {
                "date": f"{run.date:%Y-%m-%d}",
                "created": len(run.created),
                "skipped": len(run.skipped),
                "done": run.already_done,
            },
            messages.SUCCESS if run.created or not run.skipped else messages.WARNING,
        )
        for occurrence in run.skipped:
            self.message_user(request, f"{occurrence.template}: {occurrence.reason}", messages.WARNING)


@admin.register(RecurringOrder)
class RecurringOrderAdmin(ReadOnlyAdmin):
    list_display = ("date", "template", "outcome", "order", "reason")
    list_filter = ("outcome", "date")
    search_fields = ("template__name", "template__customer__code", "template__customer__short_name")
    list_select_related = ("template__customer", "order")
    date_hierarchy = "date"
