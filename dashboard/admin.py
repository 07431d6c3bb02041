from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dashboard import services
from dashboard.exports import REPORT_CHOICES
from dashboard.models import DailyRollup, ExportJob, ReportDelivery, ReportSubscription


class ReportSubscriptionForm(forms.ModelForm):
    report = forms.ChoiceField(label=_("report"), choices=REPORT_CHOICES)

    class Meta:
        model = ReportSubscription
        fields = [
            "name",
            "recipients",
            "report",
            "export_format",
            "range_preset",
            "schedule",
            "skip_if_empty",
            "is_active",
        ]
        widgets = {"recipients": forms.Textarea(attrs={"rows": 3})}


class ReportDeliveryInline(admin.TabularInline):
    model = ReportDelivery
    extra = 0
    can_delete = False
    fields = ["period_start", "period_end", "outcome", "rows", "error", "created_at"]
    readonly_fields = fields
    ordering = ["-created_at"]

    def has_add_permission(self, request: HttpRequest, obj: ReportSubscription | None = None) -> bool:
        return False


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    form = ReportSubscriptionForm
    list_display = ["name", "report", "export_format", "range_preset", "schedule", "skip_if_empty", "is_active"]
    list_filter = ["report", "export_format", "is_active"]
    search_fields = ["name", "recipients"]
    inlines = [ReportDeliveryInline]
    actions = ["send_now"]

    def save_model(self, request: HttpRequest, obj: ReportSubscription, form: forms.ModelForm, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        services.report_subscription_save(subscription=obj)

    def delete_model(self, request: HttpRequest, obj: ReportSubscription) -> None:
        services.report_subscription_delete(subscription=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ReportSubscription]) -> None:
        for subscription in queryset:
            services.report_subscription_delete(subscription=subscription)

    @admin.action(description=_("Send the selected reports now"), permissions=["change"])
    def send_now(self, request: HttpRequest, queryset: QuerySet[ReportSubscription]) -> None:
        for subscription in queryset:
            services.report_subscription_send(subscription_id=subscription.pk, force=True)
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(count)d report sent.", "%(count)d reports sent.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "requested_by", "report", "export_format", "status", "rows_done", "rows_total"]
    list_filter = ["status", "report", "export_format"]
    readonly_fields = [field.name for field in ExportJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ExportJob | None = None) -> bool:
        return False


@admin.register(DailyRollup)
class DailyRollupAdmin(admin.ModelAdmin):
    list_display = ["day", "orders_created", "orders_delivered", "orders_failed", "orders_cancelled", "revenue"]
    date_hierarchy = "day"
    readonly_fields = [field.name for field in DailyRollup._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DailyRollup | None = None) -> bool:
        return False
