"""Django admin for office staff: everything a dispatcher needs in one place.

Admin actions call services; status fields are read-only here.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from luckygas.admin_tools import GuardedImportExportAdmin
from luckygas.delivery import selectors, services
from luckygas.delivery.models import (
    Customer,
    Cylinder,
    CylinderProduct,
    Driver,
    Invoice,
    InvoiceStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Payment,
    Route,
    RouteStop,
    Vehicle,
)
from luckygas.delivery.resources import CustomerResource, OrderResource
from luckygas.delivery.validators import format_taiwan_phone


def _report_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


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
    list_filter = ("customer_type", "payment_method", "preferred_slot", "city", "area", "is_active")
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


@admin.register(CylinderProduct)
class CylinderProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "size_kg", "price", "deposit", "is_active")
    list_filter = ("size_kg", "is_active")
    search_fields = ("code", "name")


@admin.register(Cylinder)
class CylinderAdmin(admin.ModelAdmin):
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
    list_filter = ("is_active",)
    search_fields = ("name", "user__username", "phone")


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    min_num = 1
    fields = ("product", "quantity", "unit_price")
    readonly_fields = ("unit_price",)

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return obj is None or obj.status == OrderStatus.PENDING

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class OrderStatusChangeInline(admin.TabularInline):
    model = OrderStatusChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AssignToRouteForm(forms.Form):
    driver = forms.ModelChoiceField(queryset=Driver.objects.filter(is_active=True), label=_("driver"))
    date = forms.DateField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}))


class ReassignStopsForm(forms.Form):
    route = forms.ModelChoiceField(queryset=Route.objects.none(), label=_("route"))

    def __init__(self, *args: Any, routes: QuerySet[Route], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["route"].queryset = routes.order_by("date", "driver__name")


@admin.register(Order)
class OrderAdmin(GuardedImportExportAdmin):
    resource_classes = [OrderResource]
    list_display = (
        "__str__",
        "customer",
        "delivery_date",
        "slot",
        "status",
        "total_amount",
        "payment_method",
        "driver_name",
    )
    list_filter = ("status", "slot", "payment_method", "delivery_date", "customer__area")
    search_fields = ("id", "customer__code", "customer__short_name", "customer__phone")
    date_hierarchy = "delivery_date"
    autocomplete_fields = ("customer",)
    list_select_related = ("customer", "stop__route__driver")
    readonly_fields = (
        "status",
        "total_amount",
        "payment_method",
        "created_by",
        "created_at",
        "updated_at",
        "status_changed_at",
        "delivered_at",
        "invoice",
    )
    fields = ("customer", "delivery_date", "slot", "notes", *readonly_fields)
    inlines = [OrderLineInline, OrderStatusChangeInline]
    actions = ["confirm_orders", "cancel_orders", "assign_to_route"]
    list_per_page = 50

    @admin.display(description=_("driver"))
    def driver_name(self, order: Order) -> str:
        stop = getattr(order, "stop", None)
        return stop.route.driver.name if stop else "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return selectors.order_list_for_user(request.user).select_related("stop__route__driver")

    def save_model(self, request: HttpRequest, obj: Order, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
            obj.payment_method = obj.customer.payment_method
            obj.status_changed_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            if formset.model is OrderLine:
                for line_form in formset.forms:
                    if line_form.cleaned_data.get("product") and not line_form.instance.unit_price:
                        line_form.instance.unit_price = line_form.cleaned_data["product"].price
        super().save_related(request, form, formsets, change)
        services.order_recalculate_total(order=form.instance, is_new=not change)

    @admin.action(description=_("Confirm selected orders"), permissions=["change"])
    def confirm_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = 0
        for order in queryset.order_by("pk"):
            try:
                services.order_confirm(order=order, actor=request.user)
                done += 1
            except ValidationError as error:
                _report_errors(request, error)
        if done:
            messages.success(request, ngettext("%d order confirmed.", "%d orders confirmed.", done) % done)

    @admin.action(description=_("Cancel selected orders"), permissions=["change"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = 0
        for order in queryset.order_by("pk"):
            try:
                services.order_cancel(order=order, actor=request.user, reason=str(_("Cancelled by the office")))
                done += 1
            except ValidationError as error:
                _report_errors(request, error)
        if done:
            messages.success(request, ngettext("%d order cancelled.", "%d orders cancelled.", done) % done)

    @admin.action(description=_("Assign selected orders to a driver's route"), permissions=["change"])
    def assign_to_route(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        orders = list(queryset.order_by("customer__area", "customer__district", "pk"))
        if "apply" in request.POST:
            form = AssignToRouteForm(request.POST)
            if form.is_valid():
                try:
                    route = services.route_assign_orders(
                        driver=form.cleaned_data["driver"],
                        date=form.cleaned_data["date"],
                        orders=orders,
                        actor=request.user,
                    )
                except ValidationError as error:
                    _report_errors(request, error)
                else:
                    messages.success(
                        request,
                        _("%(count)d orders added to %(route)s.") % {"count": len(orders), "route": route},
                    )
                return None
        else:
            dates = {order.delivery_date for order in orders}
            form = AssignToRouteForm(initial={"date": dates.pop() if len(dates) == 1 else timezone.localdate()})
        return render(
            request,
            "admin/delivery/order/assign_to_route.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Assign orders to a route"),
                "orders": orders,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


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
    readonly_fields = (
        "order",
        "customer_name",
        "status",
        "completed_at",
        "cash_collected",
        "empties_collected",
        "outcome_note",
        "version",
    )
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
    list_filter = ("status", "date", "driver")
    date_hierarchy = "date"
    search_fields = ("driver__name",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [RouteStopInline]
    actions = ["start_routes"]

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


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ("received_at", "amount", "channel", "reference", "recorded_by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
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
        done = 0
        for invoice in queryset.order_by("pk"):
            try:
                services.invoice_mark_paid(invoice=invoice, actor=request.user)
                done += 1
            except ValidationError as error:
                _report_errors(request, error)
        if done:
            messages.success(request, ngettext("%d invoice marked paid.", "%d invoices marked paid.", done) % done)


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
