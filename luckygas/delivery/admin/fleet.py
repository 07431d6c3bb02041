"""Products, cylinders, vehicles and drivers."""

from django.contrib import admin

from luckygas.admin_tools import TolerantAutocompleteMixin
from luckygas.delivery.models import (
    Cylinder,
    CylinderProduct,
    Driver,
    Vehicle,
)
from training.admin_filters import DriverPracticeFilter


@admin.register(CylinderProduct)
class CylinderProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "size_kg", "price", "deposit", "is_active")
    list_filter = ("size_kg", "is_active")
    search_fields = ("code", "name")


@admin.register(Cylinder)
class CylinderAdmin(TolerantAutocompleteMixin, admin.ModelAdmin):
    list_display = ("serial_number", "product", "location", "customer", "vehicle", "next_inspection_date")
    list_filter = ("location", "product")
    search_fields = ("serial_number", "customer__code", "customer__short_name")
    autocomplete_fields = ("customer",)
    date_hierarchy = "next_inspection_date"
    list_select_related = ("product", "customer", "vehicle")


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ("plate_number", "capacity", "is_active")
    search_fields = ("plate_number",)


@admin.register(Driver)
class DriverAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "phone", "default_vehicle", "is_active")
    list_filter = ("is_active", DriverPracticeFilter)
    search_fields = ("name", "user__username", "phone")
