"""The SMS outbox: messages are database rows first; Redis and Celery only move them along."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from luckygas.masking import mask_phone


class ProviderName(models.TextChoices):
    MITAKE = "mitake", _("Mitake")
    EVERY8D = "every8d", _("Every8d")
    TWILIO = "twilio", _("Twilio")


class Priority(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    NORMAL = "normal", _("Normal")
    MARKETING = "marketing", _("Marketing")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SUBMITTED = "submitted", _("Submitted")
    UNKNOWN = "unknown", _("Unknown (asking the provider)")
    ACCEPTED = "accepted", _("Accepted")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


FINAL_STATUSES = frozenset({MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.EXPIRED})
# A status only ever moves up this ladder; final statuses never change.
STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SUBMITTED: 1,
    MessageStatus.UNKNOWN: 2,
    MessageStatus.ACCEPTED: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.FAILED: 4,
    MessageStatus.EXPIRED: 4,
}


class Provider(models.Model):
    """Office-editable routing data; credentials never live here (they come from the environment)."""

    name = models.CharField(_("provider"), max_length=12, choices=ProviderName, unique=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=10, help_text=_("Lower is tried first."))
    is_enabled = models.BooleanField(_("enabled"), default=True)
    unit_price_centi = models.PositiveIntegerField(
        _("price per billable unit (0.01 TWD)"), default=80, help_text=_("80 means NT$0.80 per unit.")
    )
    rate_per_second = models.PositiveIntegerField(_("sending rate (segments per second)"), default=10)
    failure_threshold = models.PositiveSmallIntegerField(_("failures before the circuit opens"), default=3)
    cooldown_seconds = models.PositiveIntegerField(_("circuit cooldown (seconds)"), default=60)
    balance = models.IntegerField(_("balance (points)"), null=True, blank=True, editable=False)
    balance_updated_at = models.DateTimeField(_("balance updated at"), null=True, blank=True, editable=False)
    balance_low_threshold = models.PositiveIntegerField(_("low balance alert below"), default=500)

    class Meta:
        verbose_name = _("SMS provider")
        verbose_name_plural = _("SMS providers")
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.get_name_display()

    @property
    def is_balance_low(self) -> bool:
        return self.balance is not None and self.balance < self.balance_low_threshold


class Template(models.Model):
    name = models.SlugField(_("name"), max_length=50, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority, default=Priority.NORMAL)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SMS template")
        verbose_name_plural = _("SMS templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TemplateVariant(models.Model):
    template = models.ForeignKey(
        Template, on_delete=models.CASCADE, related_name="variants", verbose_name=_("template")
    )
    label = models.CharField(_("variant"), max_length=10, default="A")
    body = models.TextField(
        _("body"), help_text=_("Placeholders in braces, e.g. {customer_name}, {order_number}, {delivery_date}.")
    )
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("template variant")
        verbose_name_plural = _("template variants")
        ordering = ["template", "label"]
        constraints = [models.UniqueConstraint(fields=["template", "label"], name="sms_variant_unique_label")]

    def __str__(self) -> str:
        return f"{self.template.name} / {self.label}"


class Message(models.Model):
    uuid = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    customer = models.ForeignKey(
        "delivery.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sms_messages",
        verbose_name=_("customer"),
    )
    phone = models.CharField(_("phone"), max_length=20, db_index=True)
    template = models.ForeignKey(
        Template, on_delete=models.PROTECT, null=True, blank=True, related_name="messages", verbose_name=_("template")
    )
    variant = models.ForeignKey(
        TemplateVariant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("variant"),
    )
    body_encrypted = models.TextField(_("body (encrypted)"), editable=False)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority, default=Priority.NORMAL)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus, default=MessageStatus.QUEUED, db_index=True
    )
    encoding = models.CharField(_("encoding"), max_length=8)
    billable_units = models.PositiveSmallIntegerField(_("billable units"))
    cost_centi = models.PositiveIntegerField(_("cost (0.01 TWD)"), default=0)
    provider = models.CharField(_("provider"), max_length=12, choices=ProviderName, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=64, blank=True)
    not_before = models.DateTimeField(_("not before"), db_index=True)
    deferred_reason = models.CharField(_("deferred because"), max_length=120, blank=True)
    lease_until = models.DateTimeField(_("worker lease until"), null=True, blank=True, editable=False)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_detail = models.CharField(_("error"), max_length=300, blank=True)
    is_dead_letter = models.BooleanField(_("dead letter"), default=False, db_index=True)
    critical_resent_at = models.DateTimeField(_("critical resend at"), null=True, blank=True)
    resend_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resends", verbose_name=_("resend of")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    final_at = models.DateTimeField(_("final status at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "not_before"]),
            models.Index(fields=["customer", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"SMS {self.pk} → {self.masked_phone}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class AttemptStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UNKNOWN = "unknown", _("Unknown (timed out)")
    ACCEPTED = "accepted", _("Accepted")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")
    REJECTED = "rejected", _("Rejected by the provider")


ATTEMPT_FINAL = frozenset(
    {AttemptStatus.DELIVERED, AttemptStatus.FAILED, AttemptStatus.EXPIRED, AttemptStatus.REJECTED}
)


class Attempt(models.Model):
    """One hand-over of a message to one provider."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("message"))
    provider = models.CharField(_("provider"), max_length=12, choices=ProviderName)
    status = models.CharField(_("status"), max_length=10, choices=AttemptStatus, default=AttemptStatus.SUBMITTED)
    provider_message_id = models.CharField(_("provider message id"), max_length=64, blank=True)
    is_duplicate_reply = models.BooleanField(_("provider reported a duplicate"), default=False)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_detail = models.CharField(_("error"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    final_at = models.DateTimeField(_("final status at"), null=True, blank=True)

    class Meta:
        verbose_name = _("provider attempt")
        verbose_name_plural = _("provider attempts")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="sms_attempt_unique_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.provider_message_id or '-'}"


class ProviderEvent(models.Model):
    """Every raw provider event (send reply, query answer, receipt), append-only and deduplicated."""

    class Kind(models.TextChoices):
        SEND_REPLY = "send_reply", _("send reply")
        QUERY = "query", _("status query")
        RECEIPT = "receipt", _("delivery receipt")
        INBOUND = "inbound", _("inbound message")

    provider = models.CharField(_("provider"), max_length=12, choices=ProviderName)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    dedupe_key = models.CharField(_("dedupe key"), max_length=64, unique=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=64, blank=True, db_index=True)
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="events", verbose_name=_("message")
    )
    provider_status = models.CharField(_("provider status"), max_length=40, blank=True)
    mapped_status = models.CharField(_("mapped status"), max_length=10, blank=True)
    summary = models.JSONField(_("summary"), default=dict, help_text=_("Masked fields of the raw event."))
    raw_encrypted = models.TextField(_("raw event (encrypted)"), editable=False)
    is_applied = models.BooleanField(_("changed the message"), default=False)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.provider_message_id}"


class StatusChange(models.Model):
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("message")
    )
    from_status = models.CharField(_("from"), max_length=10, choices=MessageStatus)
    to_status = models.CharField(_("to"), max_length=10, choices=MessageStatus)
    note = models.CharField(_("note"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class LimitBypass(models.Model):
    """A critical message that went past the per-customer daily cap, kept for the record."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="bypasses", verbose_name=_("message"))
    limit = models.CharField(_("limit"), max_length=40)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("limit bypass")
        verbose_name_plural = _("limit bypasses")
        ordering = ["-recorded_at"]
        constraints = [models.UniqueConstraint(fields=["message", "limit"], name="sms_bypass_once_per_limit")]

    def __str__(self) -> str:
        return f"{self.limit} ({self.message_id})"


class OptOut(models.Model):
    class Source(models.TextChoices):
        ADMIN = "admin", _("office")
        KEYWORD = "keyword", _("reply keyword")
        PROVIDER = "provider", _("provider (recipient unsubscribed)")

    phone = models.CharField(_("phone"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.ADMIN)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("opted out at"), auto_now_add=True)

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return mask_phone(self.phone)


class MarketingConsent(models.Model):
    phone = models.CharField(_("phone"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "delivery.Customer", on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("customer")
    )
    source = models.CharField(_("how consent was given"), max_length=120)
    granted_at = models.DateTimeField(_("granted at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("marketing consent")
        verbose_name_plural = _("marketing consents")
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return mask_phone(self.phone)


class AllowlistEntry(models.Model):
    """Links and phone numbers registered with the carriers (Fraud Hazard Prevention Act, Nov 2024)."""

    class Kind(models.TextChoices):
        LINK = "link", _("link")
        PHONE = "phone", _("phone number")

    kind = models.CharField(_("kind"), max_length=6, choices=Kind)
    value = models.CharField(
        _("value"), max_length=200, help_text=_("A link prefix such as https://luckygas.tw/ or a phone number.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("registered link or number")
        verbose_name_plural = _("registered links and numbers")
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="sms_allowlist_unique")]

    def __str__(self) -> str:
        return self.value


class DeadLetter(Message):
    """Messages no provider could deliver (or stuck unknown), for the office to resend."""

    class Meta:
        proxy = True
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
