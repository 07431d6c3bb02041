"""The core delivery domain: customers, cylinders, orders, routes, invoices and payments.

Invoices and payments are in `invoices.py`, order templates (recurring orders) in `recurring.py`,
both imported at the end.

Money is whole New Taiwan dollars in integer fields. Status fields are only ever changed by
the functions in `services.py`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luckygas.delivery.fields import TaiwanPhoneField
from luckygas.delivery.validators import format_taiwan_phone, validate_tax_id


def v3_id_field() -> models.PositiveIntegerField:
    """The row's id in LuckyGas v3 (set by `import_v3`, unique per model): a re-import updates, never duplicates."""
    return models.PositiveIntegerField(_("LuckyGas v3 id"), null=True, blank=True, unique=True, editable=False)


def v3_fields_field() -> models.JSONField:
    """What LuckyGas v3 held for the row that has no field here, kept as imported."""
    return models.JSONField(
        _("LuckyGas v3 fields"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("What LuckyGas v3 held that has no field here, kept as it was imported."),
    )


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class CustomerType(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    RESTAURANT = "restaurant", _("Restaurant")
    COMMERCIAL = "commercial", _("Commercial")
    INDUSTRIAL = "industrial", _("Industrial")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")


class DeliverySlot(models.TextChoices):
    ALL_DAY = "all_day", _("All day")
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    EVENING = "evening", _("Evening")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    MONTHLY_INVOICE = "monthly_invoice", _("Monthly invoice")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")


WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class Customer(TimeStampedModel):
    code = models.CharField(_("customer code"), max_length=20, unique=True)
    customer_type = models.CharField(
        _("customer type"), max_length=20, choices=CustomerType, default=CustomerType.HOUSEHOLD
    )
    short_name = models.CharField(_("short name"), max_length=60)
    invoice_title = models.CharField(_("invoice title"), max_length=120, blank=True)
    tax_id = models.CharField(_("company tax ID"), max_length=8, blank=True, validators=[validate_tax_id])
    phone = TaiwanPhoneField(_("phone"))
    mobile = TaiwanPhoneField(_("mobile for SMS"), blank=True, mobile_only=True)
    city = models.CharField(_("city"), max_length=10)
    district = models.CharField(_("district"), max_length=10)
    address = models.CharField(_("street address"), max_length=200)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    area = models.CharField(_("delivery area"), max_length=40, blank=True, db_index=True)
    preferred_slot = models.CharField(
        _("preferred delivery slot"), max_length=10, choices=DeliverySlot, default=DeliverySlot.ALL_DAY
    )
    closed_days = models.JSONField(
        _("closed days"),
        default=list,
        blank=True,
        help_text=_("Weekdays the customer cannot receive deliveries, 0 = Monday … 6 = Sunday."),
    )
    delivery_notes = models.TextField(_("delivery notes"), blank=True)
    payment_method = models.CharField(
        _("payment method"), max_length=20, choices=PaymentMethod, default=PaymentMethod.CASH
    )
    credit_limit = models.PositiveIntegerField(_("credit limit (TWD)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    legacy_id = v3_id_field()
    legacy = v3_fields_field()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        indexes = [models.Index(fields=["city", "district"])]

    def __str__(self) -> str:
        return f"{self.code} {self.short_name}"

    def clean(self) -> None:
        days = self.closed_days or []
        if not isinstance(days, list) or any(not isinstance(day, int) or not 0 <= day <= 6 for day in days):
            raise ValidationError({"closed_days": _("Closed days must be a list of weekdays 0 (Monday) to 6.")})
        self.closed_days = sorted(set(days))
        if self.payment_method == PaymentMethod.MONTHLY_INVOICE and not self.invoice_title:
            raise ValidationError({"invoice_title": _("Monthly-invoice customers need an invoice title.")})

    @property
    def full_address(self) -> str:
        return f"{self.city}{self.district}{self.address}"

    @property
    def phone_display(self) -> str:
        return format_taiwan_phone(self.phone)


class CylinderSize(models.IntegerChoices):
    KG_4 = 4, _("4 kg")
    KG_10 = 10, _("10 kg")
    KG_16 = 16, _("16 kg")
    KG_20 = 20, _("20 kg")
    KG_50 = 50, _("50 kg")


class CylinderProduct(TimeStampedModel):
    code = models.CharField(_("product code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    size_kg = models.PositiveSmallIntegerField(_("size"), choices=CylinderSize)
    price = models.PositiveIntegerField(_("price (TWD)"))
    deposit = models.PositiveIntegerField(_("deposit (TWD)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    legacy_id = v3_id_field()

    class Meta:
        verbose_name = _("cylinder product")
        verbose_name_plural = _("cylinder products")
        ordering = ["size_kg"]

    def __str__(self) -> str:
        return self.name


class Vehicle(TimeStampedModel):
    plate_number = models.CharField(_("plate number"), max_length=10, unique=True)
    capacity = models.PositiveSmallIntegerField(_("capacity (cylinders)"), default=40)
    is_active = models.BooleanField(_("active"), default=True)
    legacy_id = v3_id_field()
    legacy = v3_fields_field()

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["plate_number"]

    def __str__(self) -> str:
        return self.plate_number


class Driver(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="driver", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=40)
    phone = TaiwanPhoneField(_("phone"), mobile_only=True)
    default_vehicle = models.ForeignKey(
        Vehicle, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("default vehicle")
    )
    is_active = models.BooleanField(_("active"), default=True)
    legacy_id = v3_id_field()

    class Meta:
        verbose_name = _("driver")
        verbose_name_plural = _("drivers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CylinderLocation(models.TextChoices):
    DEPOT = "depot", _("Depot")
    VEHICLE = "vehicle", _("On a vehicle")
    CUSTOMER = "customer", _("At a customer")
    INSPECTION = "inspection", _("At inspection")
    RETIRED = "retired", _("Retired")


class Cylinder(TimeStampedModel):
    serial_number = models.CharField(_("serial number"), max_length=30, unique=True)
    product = models.ForeignKey(CylinderProduct, on_delete=models.PROTECT, verbose_name=_("product"))
    next_inspection_date = models.DateField(_("next inspection date"))
    location = models.CharField(_("location"), max_length=12, choices=CylinderLocation, default=CylinderLocation.DEPOT)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cylinders",
        verbose_name=_("customer"),
    )
    vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cylinders",
        verbose_name=_("vehicle"),
    )

    class Meta:
        verbose_name = _("cylinder")
        verbose_name_plural = _("cylinders")
        ordering = ["serial_number"]
        constraints = [
            models.CheckConstraint(
                name="cylinder_customer_matches_location",
                condition=Q(location="customer", customer__isnull=False)
                | (~Q(location="customer") & Q(customer__isnull=True)),
            ),
            models.CheckConstraint(
                name="cylinder_vehicle_matches_location",
                condition=Q(location="vehicle", vehicle__isnull=False)
                | (~Q(location="vehicle") & Q(vehicle__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return self.serial_number

    def clean(self) -> None:
        if self.location == CylinderLocation.CUSTOMER and not self.customer_id:
            raise ValidationError({"customer": _("A cylinder at a customer needs that customer.")})
        if self.location == CylinderLocation.VEHICLE and not self.vehicle_id:
            raise ValidationError({"vehicle": _("A cylinder on a vehicle needs that vehicle.")})
        if self.location != CylinderLocation.CUSTOMER:
            self.customer = None
        if self.location != CylinderLocation.VEHICLE:
            self.vehicle = None


class OrderPriority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent (out of gas)")


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    SCHEDULED = "scheduled", _("Scheduled")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Order(TimeStampedModel):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer"))
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus, default=OrderStatus.PENDING, editable=False
    )
    delivery_date = models.DateField(_("delivery date"))
    slot = models.CharField(_("delivery slot"), max_length=10, choices=DeliverySlot, default=DeliverySlot.ALL_DAY)
    priority = models.CharField(_("priority"), max_length=10, choices=OrderPriority, default=OrderPriority.NORMAL)
    payment_method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod)
    empties_to_collect = models.PositiveSmallIntegerField(_("empties to collect"), default=0)
    total_amount = models.PositiveIntegerField(_("total (TWD)"), default=0, editable=False)
    notes = models.TextField(_("notes for the driver"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True, editable=False)
    # The key of the order form that entered the order: the same form submitted again (after an answer lost on
    # the way, a double click) finds this order instead of making a second one.
    entry_key = models.UUIDField(_("entry form key"), null=True, blank=True, unique=True, editable=False)
    invoice = models.ForeignKey(
        "Invoice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("invoice"),
        editable=False,
    )
    legacy_id = v3_id_field()
    legacy = v3_fields_field()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-delivery_date", "-id"]
        indexes = [
            models.Index(fields=["status", "delivery_date"]),
            models.Index(fields=["delivery_date"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    product = models.ForeignKey(CylinderProduct, on_delete=models.PROTECT, verbose_name=_("product"))
    quantity = models.PositiveSmallIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.PositiveIntegerField(_("unit price (TWD)"))
    legacy_id = v3_id_field()

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"

    @property
    def line_total(self) -> int:
        return self.quantity * self.unit_price


class OrderStatusChange(models.Model):
    """Append-only history of every order status change, for audit."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("order"))
    from_status = models.CharField(_("from"), max_length=20, choices=OrderStatus)
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("order status change")
        verbose_name_plural = _("order status changes")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.order}: {self.from_status} → {self.to_status}"


class RouteStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class Route(TimeStampedModel):
    driver = models.ForeignKey(Driver, on_delete=models.PROTECT, related_name="routes", verbose_name=_("driver"))
    date = models.DateField(_("date"))
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("vehicle"))
    status = models.CharField(_("status"), max_length=12, choices=RouteStatus, default=RouteStatus.PLANNED)
    legacy_id = v3_id_field()
    legacy = v3_fields_field()

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        ordering = ["-date", "driver__name"]
        constraints = [models.UniqueConstraint(fields=["driver", "date"], name="one_route_per_driver_per_day")]

    def __str__(self) -> str:
        return f"{self.date:%Y/%m/%d} {self.driver}"


class StopStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINAL_STOP_STATUSES = frozenset({StopStatus.DELIVERED, StopStatus.FAILED, StopStatus.CANCELLED})


class RouteStop(models.Model):
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops", verbose_name=_("route"))
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="stop", verbose_name=_("order"))
    sequence = models.PositiveSmallIntegerField(_("stop number"))
    status = models.CharField(_("outcome"), max_length=12, choices=StopStatus, default=StopStatus.PENDING)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cash_collected = models.PositiveIntegerField(_("cash collected (TWD)"), default=0)
    empties_collected = models.PositiveSmallIntegerField(_("empties collected"), default=0)
    outcome_note = models.CharField(_("outcome note"), max_length=200, blank=True)
    planned_arrival_start = models.TimeField(_("planned arrival from"), null=True, blank=True)
    planned_arrival_end = models.TimeField(_("planned arrival until"), null=True, blank=True)
    # Raised on every change the office or a driver makes, so offline phones can detect conflicts.
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    legacy_id = v3_id_field()

    class Meta:
        verbose_name = _("route stop")
        verbose_name_plural = _("route stops")
        # The id breaks a tie: two stops imported from v3 with one number keep v3's order (reported on import).
        ordering = ["route", "sequence", "pk"]
        indexes = [models.Index(fields=["route", "sequence"])]

    def __str__(self) -> str:
        return f"{self.route} #{self.sequence}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STOP_STATUSES


# Invoices and recurring orders: modules of their own, registered with the app by these imports.
from luckygas.delivery.models.invoices import Invoice, InvoiceStatus, Payment, PaymentChannel  # noqa: E402, F401
from luckygas.delivery.models.recurring import (  # noqa: E402, F401
    OrderTemplate,
    OrderTemplateLine,
    Recurrence,
    RecurringOrder,
    RecurringOutcome,
)
