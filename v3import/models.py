"""Runs of the LuckyGas v3 import: what each read, wrote and could not write, and whether the books agree."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running (or interrupted)")
    RECONCILED = "reconciled", _("Finished: counts and sums agree")
    DISAGREES = "disagrees", _("Finished: counts or sums disagree")
    DRY_RUN = "dry_run", _("Dry run (nothing kept)")


class ImportRun(models.Model):
    source = models.CharField(_("source"), max_length=200, help_text=_("The v3 database, password hidden."))
    only = models.CharField(_("tables"), max_length=200, blank=True)
    since = models.DateTimeField(_("changed since"), null=True, blank=True)
    is_dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=RunStatus, default=RunStatus.RUNNING)
    # Per table: the last v3 id written, so an interrupted run continues after it.
    checkpoints = models.JSONField(_("checkpoints"), default=dict, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    reconciliation = models.JSONField(_("reconciliation"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("v3 import run")
        verbose_name_plural = _("v3 import runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.get_status_display()}"


class ImportException(models.Model):
    """A v3 row, or one of its values, that could not be taken as it was: imported for review, or not imported."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("run"))
    table = models.CharField(_("v3 table"), max_length=40)
    legacy_id = models.BigIntegerField(_("v3 id"))
    field = models.CharField(_("field"), max_length=60, blank=True)
    value = models.TextField(_("value"), blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    is_imported = models.BooleanField(
        _("row imported"), default=True, help_text=_("Imported as it was, for review; otherwise not imported.")
    )

    class Meta:
        verbose_name = _("v3 import exception")
        verbose_name_plural = _("v3 import exceptions")
        ordering = ["run", "table", "legacy_id"]
        indexes = [models.Index(fields=["run", "table"])]

    def __str__(self) -> str:
        return f"{self.table} #{self.legacy_id} {self.field}"


class LegacyUser(models.Model):
    """A v3 user's account here: Django's user model has no field of ours, so the v3 id is kept beside it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="v3_account", verbose_name=_("user")
    )
    legacy_id = models.PositiveIntegerField(_("v3 id"), unique=True)
    role = models.CharField(_("v3 role"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("v3 user")
        verbose_name_plural = _("v3 users")

    def __str__(self) -> str:
        return f"{self.user} (v3 #{self.legacy_id})"


class DeliveryRecord(models.Model):
    """A delivery of v3's history (`delivery_history`, kept from the Excel years): who got how many cylinders, when.

    Read-only history: our own deliveries are orders with route stops; these past ones had neither in v3.
    """

    legacy_id = models.PositiveIntegerField(_("v3 id"), unique=True)
    customer = models.ForeignKey(
        "delivery.Customer", on_delete=models.PROTECT, related_name="v3_deliveries", verbose_name=_("customer")
    )
    delivered_on = models.DateField(_("delivered on"))
    delivered_time = models.CharField(_("time"), max_length=10, blank=True)
    salesperson = models.CharField(_("salesperson"), max_length=100, blank=True)
    cylinders = models.PositiveIntegerField(_("cylinders delivered"), default=0)
    flow_kg = models.DecimalField(_("gas by flow meter (kg)"), max_digits=12, decimal_places=3, default=0)
    legacy = models.JSONField(_("LuckyGas v3 fields"), default=dict, blank=True)

    class Meta:
        verbose_name = _("v3 delivery record")
        verbose_name_plural = _("v3 delivery records")
        ordering = ["-delivered_on", "-legacy_id"]
        indexes = [models.Index(fields=["customer", "delivered_on"])]

    def __str__(self) -> str:
        return f"{self.delivered_on} {self.customer} (v3 #{self.legacy_id})"


class DeliveryRecordLine(models.Model):
    """A product line of a v3 delivery record (`delivery_history_items`)."""

    legacy_id = models.PositiveIntegerField(_("v3 id"), unique=True)
    record = models.ForeignKey(DeliveryRecord, on_delete=models.CASCADE, related_name="lines", verbose_name=_("record"))
    product = models.ForeignKey("delivery.CylinderProduct", on_delete=models.PROTECT, verbose_name=_("product"))
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.PositiveIntegerField(_("unit price (TWD)"))
    is_flow = models.BooleanField(_("by flow meter"), default=False)
    flow_kg = models.DecimalField(_("gas by flow meter (kg)"), max_digits=12, decimal_places=3, null=True, blank=True)

    class Meta:
        verbose_name = _("v3 delivery record line")
        verbose_name_plural = _("v3 delivery record lines")
        ordering = ["record", "legacy_id"]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"


class V3DebitAccount(models.Model):
    """A customer's bank account as v3 held it: in a direct-debit transaction (`payment_transactions`), the only
    place v3 keeps account numbers (v3 has no mandates). For review: the office turns a checked one into a bank
    account and mandate of ours (v3 never had the branch code or the holder's ID our mandates need).

    The number is encrypted as banking encrypts account numbers, and shown masked.
    """

    legacy_id = models.PositiveIntegerField(_("v3 id"), unique=True)
    customer = models.ForeignKey(
        "delivery.Customer", on_delete=models.PROTECT, related_name="v3_debit_accounts", verbose_name=_("customer")
    )
    bank_code = models.CharField(_("bank code"), max_length=10, blank=True)
    account_encrypted = models.TextField(_("account (encrypted)"), editable=False)
    account_last4 = models.CharField(_("account ends in"), max_length=4, blank=True, editable=False)
    holder_name = models.CharField(_("account holder"), max_length=100, blank=True)
    amount = models.PositiveIntegerField(_("amount (TWD)"), default=0)
    scheduled_on = models.DateField(_("debit date"), null=True, blank=True)
    v3_status = models.CharField(_("v3 status"), max_length=20, blank=True)
    problem = models.CharField(
        _("problem"), max_length=200, blank=True, help_text=_("Why this account cannot be used as it is.")
    )
    legacy = models.JSONField(_("LuckyGas v3 fields"), default=dict, blank=True)

    class Meta:
        verbose_name = _("v3 debit account")
        verbose_name_plural = _("v3 debit accounts")
        ordering = ["customer", "legacy_id"]

    def __str__(self) -> str:
        return f"{self.bank_code} {self.masked_account}"

    @property
    def masked_account(self) -> str:
        from luckygas.masking import mask_account

        return mask_account(self.account_last4)
