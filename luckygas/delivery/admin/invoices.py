"""Invoices and payments."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from luckygas.admin_tools import TolerantAutocompleteMixin, apply_to_each
from luckygas.delivery import services
from luckygas.delivery.admin.common import HistoryInline
from luckygas.delivery.models import (
    Invoice,
    InvoiceStatus,
    Payment,
)


class PaymentInline(HistoryInline):
    model = Payment
    fields = ("received_at", "amount", "channel", "reference", "recorded_by")


@admin.register(Invoice)
class InvoiceAdmin(TolerantAutocompleteMixin, admin.ModelAdmin):
    list_display = ("number", "customer", "issue_date", "due_date", "amount", "status", "is_overdue", "paid_at")
    list_filter = ("status", "due_date", "customer__payment_method")
    search_fields = ("number", "customer__code", "customer__short_name", "customer__tax_id")
    date_hierarchy = "issue_date"
    autocomplete_fields = ("customer",)
    readonly_fields = ("status", "paid_at", "created_at", "updated_at")
    list_select_related = ("customer",)
    inlines = [PaymentInline]
    actions = ["mark_paid"]

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, invoice: Invoice) -> bool:
        return invoice.status == InvoiceStatus.OPEN and invoice.due_date < timezone.localdate()

    @admin.action(description=_("Mark selected invoices paid (bank transfer)"), permissions=["change"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda invoice: services.invoice_mark_paid(invoice=invoice, actor=request.user),
            lambda count: ngettext("%d invoice marked paid.", "%d invoices marked paid.", count) % count,
        )


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("invoice", "amount", "channel", "received_at", "reference", "recorded_by")
    list_filter = ("channel", "received_at")
    search_fields = ("invoice__number", "reference")
    date_hierarchy = "received_at"
    list_select_related = ("invoice", "recorded_by")
    readonly_fields = ("invoice", "amount", "channel", "received_at", "reference", "recorded_by", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Payments are recorded through the invoice's "mark paid" action or by the bank import.
        return False


admin.site.site_header = _("LuckyGas back office")
admin.site.site_title = _("LuckyGas")
admin.site.index_title = _("Operations")
