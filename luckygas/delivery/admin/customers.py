"""Customers, with the cylinders at their site; customer import and export."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from luckygas.admin_tools import GuardedImportExportAdmin
from luckygas.delivery.models import (
    Customer,
    Cylinder,
)
from luckygas.delivery.resources import CustomerResource
from luckygas.delivery.validators import format_taiwan_phone
from training.admin_filters import CustomerPracticeFilter


class CylinderAtCustomerInline(admin.TabularInline):
    model = Cylinder
    fk_name = "customer"
    fields = ("serial_number", "product", "next_inspection_date")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("cylinders at the customer's site")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(GuardedImportExportAdmin):
    resource_classes = [CustomerResource]
    list_display = (
        "code",
        "short_name",
        "customer_type",
        "phone_display",
        "city",
        "district",
        "area",
        "payment_method",
        "preferred_slot",
        "is_active",
    )
    list_filter = (
        "customer_type",
        "payment_method",
        "preferred_slot",
        "city",
        "area",
        "is_active",
        CustomerPracticeFilter,
    )
    search_fields = ("code", "short_name", "invoice_title", "tax_id", "phone", "mobile", "address")
    list_per_page = 50
    readonly_fields = ("created_at", "updated_at")
    inlines = [CylinderAtCustomerInline]
    fieldsets = (
        (None, {"fields": ("code", "customer_type", "short_name", "is_active")}),
        (_("Billing"), {"fields": ("invoice_title", "tax_id", "payment_method", "credit_limit")}),
        (_("Contact"), {"fields": ("phone", "mobile")}),
        (_("Address"), {"fields": ("city", "district", "address", "area", "latitude", "longitude")}),
        (_("Delivery"), {"fields": ("preferred_slot", "closed_days", "delivery_notes")}),
        (_("Audit"), {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description=_("phone"), ordering="phone")
    def phone_display(self, customer: Customer) -> str:
        return format_taiwan_phone(customer.phone)
