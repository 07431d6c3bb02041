"""The import runs and their exceptions, for the office and the administrator who runs the cutover."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from luckygas.admin_tools import ReadOnlyAdmin
from v3import.models import DeliveryRecord, DeliveryRecordLine, ImportException, ImportRun, V3DebitAccount
from v3import.services import report


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "status", "source", "only", "since", "is_dry_run", "finished_at")
    list_filter = ("status", "is_dry_run")
    fields = ("source", "only", "since", "is_dry_run", "status", "started_at", "finished_at", "report", "checkpoints")
    readonly_fields = fields

    @admin.display(description=_("reconciliation"))
    def report(self, run: ImportRun) -> Any:
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", report.reconciliation_text(run))


@admin.register(ImportException)
class ImportExceptionAdmin(ReadOnlyAdmin):
    list_display = ("table", "legacy_id", "field", "value", "reason", "is_imported", "run")
    list_filter = ("table", "is_imported", "run")
    search_fields = ("legacy_id", "field", "reason", "value")
    list_select_related = ("run",)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("run")


class DeliveryRecordLineInline(admin.TabularInline):
    model = DeliveryRecordLine
    fields = ("legacy_id", "product", "quantity", "unit_price", "is_flow", "flow_kg")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DeliveryRecord)
class DeliveryRecordAdmin(ReadOnlyAdmin):
    """v3's delivery history: read-only, written only by import_v3."""

    list_display = ("delivered_on", "customer", "cylinders", "flow_kg", "salesperson", "legacy_id")
    list_filter = ("delivered_on",)
    search_fields = ("customer__code", "customer__short_name", "legacy_id")
    date_hierarchy = "delivered_on"
    list_select_related = ("customer",)
    fields = (
        "legacy_id",
        "customer",
        "delivered_on",
        "delivered_time",
        "salesperson",
        "cylinders",
        "flow_kg",
        "legacy",
    )
    readonly_fields = fields
    inlines = [DeliveryRecordLineInline]


@admin.register(V3DebitAccount)
class V3DebitAccountAdmin(ReadOnlyAdmin):
    """The bank accounts v3 held, to review before they become accounts and mandates here; shown masked."""

    list_display = ("customer", "bank_code", "masked_account", "holder_name", "amount", "v3_status", "problem")
    list_filter = ("v3_status",)
    search_fields = ("customer__code", "customer__short_name", "holder_name", "legacy_id")
    list_select_related = ("customer",)
    fields = (
        "legacy_id",
        "customer",
        "bank_code",
        "masked_account",
        "holder_name",
        "amount",
        "scheduled_on",
        "v3_status",
        "problem",
    )
    readonly_fields = fields

    @admin.display(description=_("account"))
    def masked_account(self, account: V3DebitAccount) -> str:
        return account.masked_account
