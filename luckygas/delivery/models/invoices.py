"""Invoices and the payments against them (whole TWD)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luckygas.delivery.models import Customer, TimeStampedModel, v3_fields_field, v3_id_field


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


class Invoice(TimeStampedModel):
    number = models.CharField(_("invoice number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("customer")
    )
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    amount = models.PositiveIntegerField(_("amount (TWD)"))
    status = models.CharField(
        _("status"), max_length=8, choices=InvoiceStatus, default=InvoiceStatus.OPEN, editable=False
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, editable=False)
    legacy_id = v3_id_field()
    legacy = v3_fields_field()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        if self.issue_date and self.due_date and self.due_date < self.issue_date:
            raise ValidationError({"due_date": _("The due date cannot be before the issue date.")})


class PaymentChannel(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice"))
    amount = models.PositiveIntegerField(_("amount (TWD)"))
    channel = models.CharField(_("channel"), max_length=16, choices=PaymentChannel)
    received_at = models.DateTimeField(_("received at"))
    # Idempotency of automatic payments: a bank item or a sync action creates at most one payment.
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    legacy_id = v3_id_field()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["reference"], condition=~Q(reference=""), name="unique_payment_reference")
        ]

    def __str__(self) -> str:
        return f"{self.invoice} NT${self.amount:,}"
