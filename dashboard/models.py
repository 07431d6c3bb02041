"""Dashboard data: daily rollups of the order book, export jobs and scheduled report subscriptions.

Rollup days are calendar days in Asia/Taipei (`settings.TIME_ZONE`), never UTC days.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DailyRollup(models.Model):
    """Per-day totals of the order book, kept up to date from delivery events."""

    day = models.DateField(_("day"), unique=True)
    orders_created = models.PositiveIntegerField(_("orders created"), default=0)
    orders_delivered = models.PositiveIntegerField(_("orders delivered"), default=0)
    orders_failed = models.PositiveIntegerField(_("orders failed"), default=0)
    orders_cancelled = models.PositiveIntegerField(_("orders cancelled"), default=0)
    revenue = models.BigIntegerField(_("revenue (TWD)"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y/%m/%d}"


class HourlyOrderCount(models.Model):
    """Orders created per day and hour (Asia/Taipei), for the weekday × hour pattern."""

    day = models.DateField(_("day"))
    hour = models.PositiveSmallIntegerField(_("hour"))
    orders_created = models.PositiveIntegerField(_("orders created"), default=0)

    class Meta:
        verbose_name = _("hourly order count")
        verbose_name_plural = _("hourly order counts")
        ordering = ["day", "hour"]
        constraints = [
            models.UniqueConstraint(fields=["day", "hour"], name="one_hourly_count_per_day_and_hour"),
            models.CheckConstraint(condition=models.Q(hour__lte=23), name="hourly_count_hour_in_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y/%m/%d} {self.hour:02d}:00"


class CustomerDailyRollup(models.Model):
    """Orders created per customer and Asia/Taipei day, with their amount: the customers panel's
    active and top customers read these compact rows instead of a month of scattered orders."""

    day = models.DateField(_("day"))
    customer = models.ForeignKey(
        "delivery.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    orders_created = models.PositiveIntegerField(_("orders created"))
    # A 4-byte integer (one customer's day never nears 2 billion TWD): PostgreSQL sums it as bigint,
    # far faster than the numeric sum of a bigint column.
    amount = models.PositiveIntegerField(_("amount (TWD)"))

    class Meta:
        verbose_name = _("customer daily rollup")
        verbose_name_plural = _("customer daily rollups")
        ordering = ["day", "customer"]
        constraints = [
            # Also the index a period's rows are found by (day first). Kept without INCLUDE columns:
            # SQLite (the embedded `make run`) would silently drop such a constraint, and the upsert
            # needs it.
            models.UniqueConstraint(fields=["day", "customer"], name="one_customer_rollup_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y/%m/%d} {self.customer_id}"


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel")
    PDF = "pdf", _("PDF")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """A large export run in Celery. It stores the filter, never a list of ids."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    report = models.CharField(_("report"), max_length=40)
    export_format = models.CharField(_("format"), max_length=4, choices=ExportFormat)
    filters = models.JSONField(_("filters"), default=dict)
    status = models.CharField(_("status"), max_length=8, choices=ExportStatus, default=ExportStatus.PENDING)
    rows_total = models.PositiveIntegerField(_("rows to write"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Recovery (dashboard.services.export_jobs_recover): when the job was last put on the queue, until when its
    # worker holds it, and how many workers took it.
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    lease_until = models.DateTimeField(_("held until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.report}.{self.export_format} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class RangePreset(models.TextChoices):
    YESTERDAY = "yesterday", _("Yesterday")
    LAST_7_DAYS = "last_7_days", _("Last 7 days")
    LAST_30_DAYS = "last_30_days", _("Last 30 days")
    THIS_MONTH = "this_month", _("This month so far")
    LAST_MONTH = "last_month", _("Last month")


def validate_recipients(value: str) -> None:
    addresses = [address.strip() for address in value.replace("\n", ",").split(",") if address.strip()]
    if not addresses:
        raise ValidationError(_("Enter at least one e-mail address."))
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError as error:
            raise ValidationError(_("“%(address)s” is not a valid e-mail address.") % {"address": address}) from error


class ReportSubscription(models.Model):
    """A report e-mailed on a schedule (a django-celery-beat crontab)."""

    name = models.CharField(_("name"), max_length=80)
    recipients = models.TextField(
        _("recipients"), validators=[validate_recipients], help_text=_("E-mail addresses, separated by commas.")
    )
    report = models.CharField(_("report"), max_length=40)
    export_format = models.CharField(_("format"), max_length=4, choices=ExportFormat, default=ExportFormat.PDF)
    range_preset = models.CharField(_("period"), max_length=20, choices=RangePreset, default=RangePreset.YESTERDAY)
    schedule = models.ForeignKey(
        "django_celery_beat.CrontabSchedule",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("schedule"),
        help_text=_("When to send it (Asia/Taipei)."),
    )
    skip_if_empty = models.BooleanField(_("skip if empty"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("periodic task"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def recipient_list(self) -> list[str]:
        return [address.strip() for address in self.recipients.replace("\n", ",").split(",") if address.strip()]


class ReportDelivery(models.Model):
    """One sending (or skip) of a subscription for one period: the unique key makes the task idempotent."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Sent")
        SKIPPED_EMPTY = "skipped_empty", _("Skipped (no data)")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscription")
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start", "period_end"], name="one_delivery_per_subscription_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.period_start:%Y/%m/%d}–{self.period_end:%Y/%m/%d}"
