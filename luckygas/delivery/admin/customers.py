"""Customers, with the cylinders at their site; customer import and export."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from dispatch.geocoding import geocoder
from dispatch.services.geocoding import GeocodeOutcome, customer_geocode
from luckygas.admin_tools import GuardedImportExportAdmin
from luckygas.delivery.admin.common import PhoneSearchMixin
from luckygas.delivery.admin.widgets import MapPinWidget
from luckygas.delivery.models import (
    WEEKDAY_CHOICES,
    Customer,
    Cylinder,
)
from luckygas.delivery.resources import CustomerResource
from luckygas.delivery.validators import format_taiwan_phone
from training.admin_filters import CustomerPracticeFilter

# What the geocode action tells the clerk, one message per outcome that happened (names listed).
GEOCODE_MESSAGES = (
    (
        GeocodeOutcome.FOUND,
        messages.SUCCESS,
        ngettext_lazy(
            "Pin placed for %(count)d customer: %(names)s", "Pins placed for %(count)d customers: %(names)s", "count"
        ),
    ),
    (
        GeocodeOutcome.KEPT,
        messages.INFO,
        ngettext_lazy(
            "Pin kept (already placed) for %(count)d customer: %(names)s",
            "Pins kept (already placed) for %(count)d customers: %(names)s",
            "count",
        ),
    ),
    (
        GeocodeOutcome.NOT_FOUND,
        messages.WARNING,
        ngettext_lazy(
            "Address not found for %(count)d customer: %(names)s",
            "Addresses not found for %(count)d customers: %(names)s",
            "count",
        ),
    ),
    (
        GeocodeOutcome.ERROR,
        messages.ERROR,
        ngettext_lazy(
            "The geocoder failed for %(count)d customer: %(names)s",
            "The geocoder failed for %(count)d customers: %(names)s",
            "count",
        ),
    ),
)


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
class CustomerAdmin(PhoneSearchMixin, GuardedImportExportAdmin):
    phone_search_fields = ("phone", "mobile")
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
    actions = ["geocode_customers", "geocode_customers_replacing_pins"]
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

    def formfield_for_dbfield(self, db_field: models.Field, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "latitude":
            kwargs["widget"] = MapPinWidget()
        if db_field.name == "closed_days":
            # Tick boxes, not the JSON text box a list field gets ("[]", where 5,6 was refused as 輸入有效的 JSON。).
            return forms.TypedMultipleChoiceField(
                label=capfirst(db_field.verbose_name),
                choices=WEEKDAY_CHOICES,
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("Weekdays the customer cannot receive deliveries."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.action(description=_("Geocode selected customers (keep pins already placed)"), permissions=["change"])
    def geocode_customers(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._geocode(request, queryset, replace_pin=False)

    @admin.action(description=_("Geocode selected customers, replacing their pins"), permissions=["change"])
    def geocode_customers_replacing_pins(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._geocode(request, queryset, replace_pin=True)

    def _geocode(self, request: HttpRequest, queryset: QuerySet[Customer], *, replace_pin: bool) -> None:
        provider = geocoder()
        if provider is None:
            messages.error(request, _("No geocoder is configured (GEOCODER_URL): place the pins by hand on the map."))
            return
        by_outcome: dict[GeocodeOutcome, list[str]] = {outcome: [] for outcome in GeocodeOutcome}
        for customer in queryset.order_by("pk"):
            result = customer_geocode(customer=customer, geocoder=provider, replace_pin=replace_pin)
            label = str(customer) if result.outcome != GeocodeOutcome.ERROR else f"{customer} ({result.detail})"
            by_outcome[result.outcome].append(label)
        for outcome, level, text in GEOCODE_MESSAGES:
            if names := by_outcome[outcome]:
                messages.add_message(request, level, text % {"count": len(names), "names": "、".join(names)})
