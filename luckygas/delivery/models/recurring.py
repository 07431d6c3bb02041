"""Order templates: what a customer orders again and again, and when.

A template repeats daily, weekly on chosen weekdays, or monthly on a day of the month, every N
days, weeks or months from its first date. `RecurringOrder` records what each due date gave: the
order it created, or why it created none (the customer is closed that day…). Its unique
(template, date) is what makes "one order per template per date" hold when two runs meet.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from luckygas.delivery.models import (
    Customer,
    CylinderProduct,
    DeliverySlot,
    Order,
    OrderPriority,
    PaymentMethod,
    TimeStampedModel,
    v3_fields_field,
    v3_id_field,
)


class Recurrence(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class OrderTemplate(TimeStampedModel):
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="order_templates", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=100)
    recurrence = models.CharField(_("repeats"), max_length=10, choices=Recurrence, default=Recurrence.WEEKLY)
    interval = models.PositiveSmallIntegerField(
        _("every"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("Every N days, weeks or months."),
    )
    weekdays = models.JSONField(
        _("weekdays"),
        default=list,
        blank=True,
        help_text=_("Weekly: the weekdays to deliver, 0 = Monday … 6 = Sunday (empty: the first date's weekday)."),
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("Monthly: 1–31 (empty: the first date's day). In a shorter month, its last day."),
    )
    starts_on = models.DateField(_("first date"))
    ends_on = models.DateField(_("last date"), null=True, blank=True)
    slot = models.CharField(
        _("delivery slot"),
        max_length=10,
        choices=DeliverySlot,
        blank=True,
        help_text=_("Empty: the customer's preferred slot on the day."),
    )
    priority = models.CharField(_("priority"), max_length=10, choices=OrderPriority, default=OrderPriority.NORMAL)
    payment_method = models.CharField(
        _("payment method"),
        max_length=20,
        choices=PaymentMethod,
        blank=True,
        help_text=_("Empty: the customer's payment method on the day."),
    )
    delivery_notes = models.TextField(_("notes for the driver"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    legacy_id = v3_id_field()
    legacy = v3_fields_field()

    class Meta:
        verbose_name = _("order template")
        verbose_name_plural = _("order templates")
        ordering = ["customer__code", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="order_template_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer.short_name} · {self.name}"

    def clean(self) -> None:
        days = self.weekdays or []
        if not isinstance(days, list) or any(
            not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6 for day in days
        ):
            raise ValidationError({"weekdays": _("Weekdays must be a list of numbers 0 (Monday) to 6 (Sunday).")})
        self.weekdays = sorted(set(days))
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The last date cannot be before the first date.")})
        if self.recurrence != Recurrence.WEEKLY and self.weekdays:
            raise ValidationError({"weekdays": _("Weekdays apply only to a weekly template.")})
        if self.recurrence != Recurrence.MONTHLY and self.day_of_month:
            raise ValidationError({"day_of_month": _("A day of the month applies only to a monthly template.")})


class OrderTemplateLine(models.Model):
    template = models.ForeignKey(
        OrderTemplate, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order template")
    )
    product = models.ForeignKey(CylinderProduct, on_delete=models.PROTECT, verbose_name=_("product"))
    quantity = models.PositiveSmallIntegerField(_("quantity"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("template line")
        verbose_name_plural = _("template lines")
        constraints = [
            models.UniqueConstraint(fields=["template", "product"], name="unique_template_product"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="template_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"


class RecurringOutcome(models.TextChoices):
    CREATED = "created", _("Order created")
    CLOSED = "closed", _("Skipped: the customer is closed that day")
    REFUSED = "refused", _("Skipped: the order could not be created")


class RecurringOrder(models.Model):
    """What one template gave on one date: written once, by the run that claimed it."""

    template = models.ForeignKey(
        OrderTemplate, on_delete=models.CASCADE, related_name="occurrences", verbose_name=_("order template")
    )
    date = models.DateField(_("delivery date"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=RecurringOutcome)
    order = models.OneToOneField(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recurrence",
        verbose_name=_("order"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recurring order")
        verbose_name_plural = _("recurring orders")
        ordering = ["-date", "template_id"]
        constraints = [models.UniqueConstraint(fields=["template", "date"], name="one_recurring_order_per_date")]

    def __str__(self) -> str:
        return f"{self.template} {self.date:%Y-%m-%d}"
