"""Orders: confirm, cancel, assign to a route; order import and export."""

import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from luckygas.admin_tools import GuardedImportExportAdmin, TolerantAutocompleteMixin, apply_to_each
from luckygas.delivery import selectors, services
from luckygas.delivery.admin.common import HistoryInline, PhoneSearchMixin, _report_errors
from luckygas.delivery.models import (
    Driver,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
)
from luckygas.delivery.resources import OrderResource
from training.admin_filters import OrderPracticeFilter


def _line_inputs(formset: forms.BaseInlineFormSet) -> list[services.OrderLineInput]:
    return [
        services.OrderLineInput(product=line_form.cleaned_data["product"], quantity=line_form.cleaned_data["quantity"])
        for line_form in formset.forms
        if line_form.cleaned_data.get("product") and not line_form.cleaned_data.get("DELETE")
    ]


class OrderLineFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        """A new order is checked by the rules of `order_create` (the customer is set by the order form)."""
        super().clean()
        if self.instance.pk is None and not any(self.errors) and self.instance.customer_id is not None:
            try:
                services.order_check_input(customer=self.instance.customer, lines=_line_inputs(self))
            except ValidationError as error:
                raise forms.ValidationError(
                    [message for messages in error.message_dict.values() for message in messages]
                ) from error


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    formset = OrderLineFormSet
    extra = 0
    min_num = 1
    fields = ("product", "quantity", "unit_price")
    readonly_fields = ("unit_price",)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # A table row's boxes have no <label>: name them after their column, so a screen reader (and a
        # guide's steps) can tell the product box from the quantity box.
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            widget = getattr(formfield.widget, "widget", formfield.widget)  # inside the related-object wrapper
            widget.attrs["aria-label"] = capfirst(db_field.verbose_name)
        return formfield

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return obj is None or obj.status == OrderStatus.PENDING

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class OrderStatusChangeInline(HistoryInline):
    model = OrderStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")


class OrderAdminForm(forms.ModelForm):
    # Each add form shown carries a key of its own: submitted twice (an answer lost on the way, a double click),
    # it makes one order (see `order_create`'s `entry_key`).
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    class Meta:
        model = Order
        fields = ("customer", "delivery_date", "slot", "notes")


class AssignToRouteForm(forms.Form):
    driver = forms.ModelChoiceField(queryset=Driver.objects.filter(is_active=True), label=_("driver"))
    date = forms.DateField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


@admin.register(Order)
class OrderAdmin(PhoneSearchMixin, TolerantAutocompleteMixin, GuardedImportExportAdmin):
    phone_search_fields = ("customer__phone", "customer__mobile")
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
    list_filter = ("status", "slot", "payment_method", "delivery_date", "customer__area", OrderPracticeFilter)
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
    form = OrderAdminForm
    actions = ["confirm_orders", "cancel_orders", "assign_to_route"]
    list_per_page = 50

    @admin.display(description=_("driver"))
    def driver_name(self, order: Order) -> str:
        stop = getattr(order, "stop", None)
        return stop.route.driver.name if stop else "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return selectors.order_list_for_user(request.user).select_related("stop__route__driver")

    def get_fields(self, request: HttpRequest, obj: Order | None = None) -> Any:
        fields = super().get_fields(request, obj)
        return [*fields, "submission_key"] if obj is None else fields

    def save_model(self, request: HttpRequest, obj: Order, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        # A new order is created in `save_related`, by `order_create`, once its lines are known.

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not change:
            lines = next(formset for formset in formsets if formset.model is OrderLine)
            order = services.order_create(
                customer=form.instance.customer,
                delivery_date=form.instance.delivery_date,
                slot=form.instance.slot,
                notes=form.instance.notes,
                lines=_line_inputs(lines),
                created_by=request.user,
                entry_key=form.cleaned_data.get("submission_key"),
            )
            # The admin logs and redirects to the object it passed to `save_model`: make it the created order.
            form.instance.pk = order.pk
            form.instance.refresh_from_db()
            form.save_m2m()
            for formset in formsets:  # what `formset.save()` would have recorded, for the admin's history
                formset.new_objects = list(order.lines.all()) if formset is lines else []
                formset.changed_objects, formset.deleted_objects = [], []
            return
        for formset in formsets:
            if formset.model is OrderLine:
                for line_form in formset.forms:
                    if line_form.cleaned_data.get("product") and not line_form.instance.unit_price:
                        line_form.instance.unit_price = line_form.cleaned_data["product"].price
        super().save_related(request, form, formsets, change)
        services.order_recalculate_total(order=form.instance)

    @admin.action(description=_("Confirm selected orders"), permissions=["change"])
    def confirm_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda order: services.order_confirm(order=order, actor=request.user),
            lambda count: ngettext("%d order confirmed.", "%d orders confirmed.", count) % count,
        )

    @admin.action(description=_("Cancel selected orders"), permissions=["change"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda order: services.order_cancel(
                order=order, actor=request.user, reason=str(_("Cancelled by the office"))
            ),
            lambda count: ngettext("%d order cancelled.", "%d orders cancelled.", count) % count,
        )

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
