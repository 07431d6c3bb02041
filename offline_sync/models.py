"""Driver devices and everything they send: actions (exactly once), notes, cash, media, GPS.

Every action a phone pushes is stored once, keyed by its client-generated UUID, with the
stored result that a resend gets back. The change feed (`ChangeLogEntry`) tells phones what
the office changed on their routes, ordered by a server sequence number.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from luckygas.delivery.models import Driver, Route, RouteStop


class DriverDevice(models.Model):
    """A phone a driver registered; its token (stored hashed) authenticates every sync call."""

    device_id = models.UUIDField(_("device ID"), unique=True)
    driver = models.ForeignKey(Driver, on_delete=models.PROTECT, related_name="devices", verbose_name=_("driver"))
    name = models.CharField(_("device name"), max_length=80, blank=True)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    is_revoked = models.BooleanField(_("revoked"), default=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    # The seq the next pushed action must carry; rejected actions advance it too.
    next_seq = models.PositiveBigIntegerField(_("next action number"), default=1, editable=False)
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True, editable=False)
    last_occurred_at = models.DateTimeField(_("last event time (phone clock)"), null=True, blank=True, editable=False)
    queue_lag_seconds = models.IntegerField(_("queue lag (s)"), null=True, blank=True, editable=False)
    clock_offset_seconds = models.IntegerField(_("clock offset (s)"), null=True, blank=True, editable=False)
    push_subscription = models.JSONField(_("Web Push subscription"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("driver device")
        verbose_name_plural = _("driver devices")
        ordering = ["driver__name", "created_at"]

    def __str__(self) -> str:
        return f"{self.driver} · {self.name or str(self.device_id)[:8]}"


class ActionType(models.TextChoices):
    COMPLETE = "complete", _("Delivered")
    SKIP = "skip", _("Skipped")
    FAIL = "fail", _("Failed")
    NOTE = "note", _("Note")
    COLLECT_CASH = "collect_cash", _("Cash collected")
    COLLECT_EMPTIES = "collect_empties", _("Empties collected")
    ATTACH_MEDIA = "attach_media", _("Photo or signature")


class ActionResult(models.TextChoices):
    APPLIED = "applied", _("Applied")
    CONFLICT = "conflict", _("Conflict")
    REJECTED = "rejected", _("Rejected")


class ClockFlag(models.TextChoices):
    FUTURE = "future", _("More than 5 minutes in the future")
    OUT_OF_ORDER = "out_of_order", _("Earlier than the device's previous action")


class SyncAction(models.Model):
    """One action a device pushed, stored once; a resend of the same id gets `response` back."""

    id = models.UUIDField(_("action ID"), primary_key=True)
    device = models.ForeignKey(DriverDevice, on_delete=models.PROTECT, related_name="actions", verbose_name=_("device"))
    seq = models.PositiveBigIntegerField(_("action number"))
    action_type = models.CharField(_("type"), max_length=20)
    stop = models.ForeignKey(
        RouteStop,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sync_actions",
        verbose_name=_("stop"),
    )
    base_version = models.PositiveIntegerField(_("version seen by the phone"), null=True, blank=True)
    body = models.JSONField(_("body as sent"))
    body_hash = models.CharField(_("body SHA-256"), max_length=64)
    occurred_at = models.DateTimeField(_("occurred at (phone clock)"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at (server clock)"))
    clock_offset_seconds = models.IntegerField(_("clock offset (s)"), null=True, blank=True)
    effective_at = models.DateTimeField(_("occurred at (corrected)"), null=True, blank=True)
    clock_flags = models.JSONField(_("clock flags"), default=list, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=ActionResult)
    response = models.JSONField(_("response sent"))

    class Meta:
        verbose_name = _("sync action")
        verbose_name_plural = _("sync actions")
        ordering = ["device", "seq"]
        constraints = [models.UniqueConstraint(fields=["device", "seq"], name="one_action_per_device_seq")]
        indexes = [models.Index(fields=["result", "received_at"])]

    def __str__(self) -> str:
        return f"{self.device} #{self.seq} {self.action_type}"


class StopNote(models.Model):
    """A driver's note on a stop; notes are only ever added, never overwritten."""

    stop = models.ForeignKey(RouteStop, on_delete=models.PROTECT, related_name="driver_notes", verbose_name=_("stop"))
    action = models.OneToOneField(SyncAction, on_delete=models.PROTECT, related_name="note", verbose_name=_("action"))
    text = models.TextField(_("text"))
    # The stop's version once this note was added: a phone that saw an older one had not read it.
    stop_version = models.PositiveIntegerField(_("stop version"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("driver note")
        verbose_name_plural = _("driver notes")
        ordering = ["stop", "created_at"]

    def __str__(self) -> str:
        return self.text[:40]


class CashStatus(models.TextChoices):
    PENDING = "pending", _("To reconcile")
    RECONCILED = "reconciled", _("Reconciled")
    DISPUTED = "disputed", _("Disputed")


class CashCollection(models.Model):
    """Cash a driver says they collected: an event the office reconciles, never a payment by itself."""

    stop = models.ForeignKey(RouteStop, on_delete=models.PROTECT, related_name="cash_events", verbose_name=_("stop"))
    action = models.OneToOneField(
        SyncAction, on_delete=models.PROTECT, related_name="cash_collection", verbose_name=_("action")
    )
    amount = models.PositiveIntegerField(_("amount (TWD)"))
    collected_at = models.DateTimeField(_("collected at"))
    status = models.CharField(_("status"), max_length=12, choices=CashStatus, default=CashStatus.PENDING)
    reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reconciled by"),
    )
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cash collection")
        verbose_name_plural = _("cash collections")
        ordering = ["-collected_at"]

    def __str__(self) -> str:
        return f"{self.stop} NT${self.amount:,}"


class MediaKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    SIGNATURE = "signature", _("Signature")


def media_upload_path(instance: "MediaUpload", filename: str) -> str:
    return f"proof/{instance.stop_id}/{instance.id}.{filename.rsplit('.', 1)[-1]}"


class MediaUpload(models.Model):
    """A photo or signature, declared by an `attach_media` action and bound to its stop."""

    id = models.UUIDField(_("media ID"), primary_key=True)
    action = models.OneToOneField(SyncAction, on_delete=models.PROTECT, related_name="media", verbose_name=_("action"))
    stop = models.ForeignKey(RouteStop, on_delete=models.PROTECT, related_name="media", verbose_name=_("stop"))
    kind = models.CharField(_("kind"), max_length=10, choices=MediaKind)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(_("file"), upload_to=media_upload_path, blank=True)
    content_type = models.CharField(_("content type"), max_length=20, blank=True)
    width = models.PositiveSmallIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveSmallIntegerField(_("height"), null=True, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("photo or signature")
        verbose_name_plural = _("photos and signatures")
        ordering = ["stop", "action__received_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.stop}"

    @property
    def is_uploaded(self) -> bool:
        return self.uploaded_at is not None


class ConflictStatus(models.TextChoices):
    # A context of its own: the project's catalogue translates a bare "Open" as an invoice's 未付款.
    OPEN = "open", pgettext_lazy("sync conflict status", "Open")
    RESOLVED = "resolved", _("Resolved")


class ConflictReason(models.TextChoices):
    """Why a driver's action became a conflict (`SyncConflict.reason`), in words the office reads."""

    CANCELLED = "cancelled", _("The office cancelled the stop")
    REASSIGNED = "reassigned", _("The stop was moved to another driver")
    ALREADY_FINAL = "already_final", _("The stop already had a final outcome")
    CONCURRENT_NOTE = "concurrent_note", _("Another note was added meanwhile")


class ConflictResolution(models.TextChoices):
    KEEP_OFFICE = "keep_office", _("Keep the office's version")
    APPLY_DRIVER = "apply_driver", _("Apply the driver's action")
    KEEP_ALL = "keep_all", _("Keep both (notes and photos)")


class SyncConflict(models.Model):
    """A driver action the server could not apply as sent; a person resolves it in admin."""

    action = models.OneToOneField(
        SyncAction, on_delete=models.PROTECT, related_name="conflict", verbose_name=_("action")
    )
    stop = models.ForeignKey(RouteStop, on_delete=models.PROTECT, related_name="conflicts", verbose_name=_("stop"))
    reason = models.CharField(_("reason"), max_length=40)
    server_state = models.JSONField(_("office side"))
    client_state = models.JSONField(_("driver side"))
    status = models.CharField(_("status"), max_length=10, choices=ConflictStatus, default=ConflictStatus.OPEN)
    resolution = models.CharField(_("resolution"), max_length=20, choices=ConflictResolution, blank=True)
    resolution_note = models.CharField(_("resolution note"), max_length=200, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sync conflict")
        verbose_name_plural = _("sync conflicts")
        ordering = ["status", "-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        reason = ConflictReason(self.reason).label if self.reason in ConflictReason.values else self.reason
        return f"{self.stop}: {reason}"


class StopAssignment(models.Model):
    """Which driver a stop was handed to, so an action on a since-reassigned stop is a conflict."""

    stop = models.ForeignKey(RouteStop, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("stop"))
    driver = models.ForeignKey(Driver, on_delete=models.CASCADE, related_name="+", verbose_name=_("driver"))
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stop assignment")
        verbose_name_plural = _("stop assignments")
        constraints = [models.UniqueConstraint(fields=["stop", "driver"], name="one_assignment_per_stop_driver")]

    def __str__(self) -> str:
        return f"{self.stop} → {self.driver}"


class ChangeKind(models.TextChoices):
    STOP_ADDED = "stop_added", _("Stop added")
    STOP_REMOVED = "stop_removed", _("Stop moved to another driver")
    STOP_CHANGED = "stop_changed", _("Stop changed")
    STOP_CANCELLED = "stop_cancelled", _("Stop cancelled")
    ROUTE_CHANGED = "route_changed", _("Route changed (reordered)")
    CONFLICT_RESOLVED = "conflict_resolved", _("Conflict resolved")


class ChangeLogEntry(models.Model):
    """The change feed of one driver's routes. `id` is the cursor: gap-free in commit order.

    Writers take one transaction-level advisory lock before inserting (see
    `services.change_log_append`), so ids become visible in increasing order and a reader
    asking for `id > cursor` never skips a row that commits later with a smaller id.
    """

    driver = models.ForeignKey(Driver, on_delete=models.CASCADE, related_name="+", verbose_name=_("driver"))
    route = models.ForeignKey(Route, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("route"))
    stop = models.ForeignKey(RouteStop, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("stop"))
    kind = models.CharField(_("kind"), max_length=20, choices=ChangeKind)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("change feed entry")
        verbose_name_plural = _("change feed")
        ordering = ["id"]
        indexes = [models.Index(fields=["driver", "id"])]

    def __str__(self) -> str:
        return f"{self.id} {self.kind}"


class LocationPoint(models.Model):
    """A GPS point, deduplicated per device and the phone's point number."""

    device = models.ForeignKey(DriverDevice, on_delete=models.CASCADE, related_name="points", verbose_name=_("device"))
    driver = models.ForeignKey(Driver, on_delete=models.CASCADE, related_name="+", verbose_name=_("driver"))
    point_seq = models.PositiveBigIntegerField(_("point number"))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    accuracy_m = models.PositiveIntegerField(_("accuracy (m)"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    stop = models.ForeignKey(RouteStop, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("stop"))

    class Meta:
        verbose_name = _("GPS point")
        verbose_name_plural = _("GPS points")
        ordering = ["device", "point_seq"]
        constraints = [models.UniqueConstraint(fields=["device", "point_seq"], name="one_point_per_device_seq")]
        indexes = [models.Index(fields=["driver", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.latitude},{self.longitude}"
