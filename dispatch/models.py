from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from luckygas.delivery.models import Driver, Vehicle


class Depot(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("depot")
        verbose_name_plural = _("depots")

    def __str__(self) -> str:
        return self.name


class VehicleShift(models.Model):
    """One vehicle on one day: its driver, depot, shift and what it can carry (kg of full cylinders and slots)."""

    date = models.DateField(_("date"))
    depot = models.ForeignKey(Depot, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("depot"))
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, verbose_name=_("vehicle"))
    driver = models.ForeignKey(Driver, on_delete=models.PROTECT, verbose_name=_("driver"))
    starts_at = models.TimeField(_("shift start"))
    ends_at = models.TimeField(_("shift end"))
    capacity_kg = models.PositiveIntegerField(_("capacity (kg)"))
    capacity_slots = models.PositiveSmallIntegerField(_("capacity (cylinder slots)"))

    class Meta:
        ordering = ["date", "depot", "pk"]
        verbose_name = _("vehicle shift")
        verbose_name_plural = _("vehicle shifts")
        constraints = [
            models.UniqueConstraint(fields=["date", "vehicle"], name="dispatch_shift_one_vehicle_per_day"),
            models.UniqueConstraint(fields=["date", "driver"], name="dispatch_shift_one_driver_per_day"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="dispatch_shift_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.vehicle} {self.driver}"

    def clean(self) -> None:
        """The constraints above, as errors naming the field (the database would only name the constraint)."""
        errors: dict[str, str] = {}
        if self.starts_at is not None and self.ends_at is not None and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The shift must end after it starts.")
        if self.date is not None:
            same_day = VehicleShift.objects.filter(date=self.date).exclude(pk=self.pk)
            if self.driver_id is not None and same_day.filter(driver_id=self.driver_id).exists():
                errors["driver"] = _("This driver already has a shift on %(date)s.") % {"date": self.date}
            if self.vehicle_id is not None and same_day.filter(vehicle_id=self.vehicle_id).exists():
                errors["vehicle"] = _("This vehicle already has a shift on %(date)s.") % {"date": self.date}
        if errors:
            raise ValidationError(errors)


class PlanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Planning")
    DRAFT = "draft", _("Draft")
    FAILED = "failed", _("Failed")
    PUBLISHED = "published", _("Published")


class PlanDraft(models.Model):
    """A plan for one date and depot. `routes` and `unplanned` hold the draft; nothing else changes until publish.

    routes: [{"shift": shift_id, "stops": [{"order": id, "arrival": "HH:MM", "window_start": "HH:MM",
              "window_end": "HH:MM", "is_locked": bool}], "distance_m": float, "start": "HH:MM", "end": "HH:MM"}]
    unplanned: [{"order": id, "reason": UnplannedReason value}]
    """

    date = models.DateField(_("date"))
    depot = models.ForeignKey(Depot, on_delete=models.PROTECT, related_name="plans", verbose_name=_("depot"))
    status = models.CharField(_("status"), max_length=12, choices=PlanStatus, default=PlanStatus.QUEUED)
    time_limit_seconds = models.PositiveSmallIntegerField(
        _("time limit (seconds)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    routes = models.JSONField(_("routes"), default=list, blank=True)
    unplanned = models.JSONField(_("unplanned orders"), default=list, blank=True)
    distance_m = models.FloatField(_("total distance (m)"), default=0)
    error = models.CharField(_("error"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("route plan")
        verbose_name_plural = _("route plans")
        # Who may use the planning page: office staff and admins by their groups (a data migration), anyone
        # else an admin grants it to.
        permissions = [("plan_routes", _("Can plan routes on the planning page"))]

    def __str__(self) -> str:
        return f"{self.date} {self.depot}"
