"""CSV / Excel import and export of customers and orders (django-import-export)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from luckygas.delivery import services
from luckygas.delivery.models import Customer, CylinderProduct, Order, OrderStatus


class AllOrNothingResource(resources.ModelResource):
    """A file with any invalid row imports nothing; every bad row is reported with its field."""

    def import_data(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(*args, **kwargs)


class ClosedDaysWidget(widgets.Widget):
    """Closed days as weekday numbers separated by commas ("5,6" = Saturday and Sunday)."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> list[int]:
        if value in (None, ""):
            return []
        try:
            return [int(part) for part in str(value).replace("，", ",").split(",") if part.strip()]
        except ValueError as error:
            raise ValueError(_("Closed days must be weekday numbers 0-6 separated by commas.")) from error

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return ",".join(str(day) for day in value or [])


class CustomerResource(AllOrNothingResource):
    closed_days = fields.Field(attribute="closed_days", column_name="closed_days", widget=ClosedDaysWidget())

    class Meta:
        model = Customer
        import_id_fields = ("code",)
        fields = (
            "code",
            "customer_type",
            "short_name",
            "invoice_title",
            "tax_id",
            "phone",
            "mobile",
            "city",
            "district",
            "address",
            "latitude",
            "longitude",
            "area",
            "preferred_slot",
            "closed_days",
            "delivery_notes",
            "payment_method",
            "credit_limit",
            "is_active",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False


class OrderResource(AllOrNothingResource):
    """One row per order with a single product line; exports every line as `product×qty`."""

    customer = fields.Field(
        attribute="customer",
        column_name="customer_code",
        widget=widgets.ForeignKeyWidget(Customer, field="code"),
    )
    product = fields.Field(column_name="product_code", readonly=False)
    quantity = fields.Field(column_name="quantity", readonly=False)
    status = fields.Field(attribute="status", column_name="status", readonly=True)
    total_amount = fields.Field(attribute="total_amount", column_name="total_amount", readonly=True)

    class Meta:
        model = Order
        fields = ("id", "customer", "delivery_date", "slot", "notes", "product", "quantity", "status", "total_amount")
        export_order = fields
        clean_model_instances = True

    def dehydrate_product(self, order: Order) -> str:
        return ";".join(f"{line.product.code}×{line.quantity}" for line in order.lines.all())

    def dehydrate_quantity(self, order: Order) -> int:
        return sum(line.quantity for line in order.lines.all())

    def import_instance(self, instance: Order, row: Any, **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.customer_id:
            instance.payment_method = instance.customer.payment_method
        if instance.pk is None:
            instance.status = OrderStatus.PENDING
        code = str(row.get("product_code") or "").strip()
        product = CylinderProduct.objects.filter(code=code, is_active=True).first()
        if product is None:
            errors.setdefault("product_code", []).append(_("Unknown product code %(code)s.") % {"code": code or "''"})
        try:
            quantity = int(str(row.get("quantity") or "").strip())
        except ValueError:
            quantity = 0
        if quantity < 1:
            errors.setdefault("quantity", []).append(_("Quantity must be a whole number of at least 1."))
        if errors:
            raise ValidationError(errors)
        row["_product"], row["_quantity"] = product, quantity

    def validate_instance(
        self, instance: Order, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        if instance.pk is not None and instance.status != OrderStatus.PENDING:
            errors = dict(import_validation_errors or {})
            errors.setdefault("id", []).append(_("Only pending orders can be changed by import."))
            import_validation_errors = errors
        super().validate_instance(instance, import_validation_errors, validate_unique)

    def after_save_instance(self, instance: Order, row: Any, **kwargs: Any) -> None:
        services.order_replace_lines(
            order=instance,
            lines=[services.OrderLineInput(product=row["_product"], quantity=row["_quantity"])],
            is_new=row.get("id") in (None, ""),
        )
