"""Banks, customer accounts and mandates, collection batches, transfer files, returns, audit trail."""

from __future__ import annotations

import datetime
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from banking.codec import RETURN_REASONS
from luckygas.masking import mask_account

seven_digits = RegexValidator(r"^\d{7}$", _("Enter the 7-digit bank and branch code."))
account_digits = RegexValidator(r"^\d{1,16}$", _("Enter up to 16 digits."))


class SignatureAlgorithm(models.TextChoices):
    ED25519 = "ed25519", "Ed25519"
    RSA_PSS = "rsa-pss", "RSA-PSS"


class Bank(models.Model):
    code = models.CharField(_("bank code"), max_length=3, unique=True, help_text=_("3-digit bank code, e.g. 822"))
    name = models.CharField(_("name"), max_length=60)
    sending_unit = models.CharField(
        _("sending bank and branch"), max_length=7, validators=[seven_digits], help_text=_("SORG, e.g. 8220901")
    )
    originator_account = models.CharField(_("our collection account"), max_length=16, validators=[account_digits])
    originator_tax_id = models.CharField(_("our company tax ID"), max_length=8)
    transaction_code = models.PositiveSmallIntegerField(
        _("transaction code"),
        default=585,
        validators=[MinValueValidator(500), MaxValueValidator(999)],
        help_text=_("585 gas fees, or 904 where the bank requires it"),
    )
    sftp_host = models.CharField(_("SFTP host"), max_length=200)
    sftp_port = models.PositiveIntegerField(_("SFTP port"), default=22)
    sftp_username = models.CharField(_("SFTP user"), max_length=60)
    host_key = models.TextField(
        _("pinned host key"),
        help_text=_("The server's public key, e.g. 'ssh-ed25519 AAAA…'. Any other key is refused."),
    )
    key_reference = models.CharField(
        _("key reference"),
        max_length=40,
        help_text=_("Names the secrets LUCKYGAS_<REFERENCE>_FILE_KEY, _SIGNING_KEY, _BANK_PUBLIC_KEY, _SFTP_KEY"),
    )
    signature_algorithm = models.CharField(
        _("signature"), max_length=10, choices=SignatureAlgorithm, default=SignatureAlgorithm.ED25519
    )
    upload_folder = models.CharField(_("remote upload folder"), max_length=200, default="/upload")
    returns_folder = models.CharField(_("remote returns folder"), max_length=200, default="/returns")
    file_name_pattern = models.CharField(
        _("file name pattern"),
        max_length=100,
        default="ACHP01_{sending_unit}_{date}_{batch:06d}.enc",
        help_text=_("Placeholders: {sending_unit}, {date} (ROC), {batch}"),
    )
    upload_cutoff = models.TimeField(_("upload cut-off"), default=datetime.time(20, 0))
    return_window_business_days = models.PositiveSmallIntegerField(_("return window (business days)"), default=1)
    large_batch_total = models.PositiveIntegerField(_("large batch total (TWD)"), default=2_000_000)
    large_item_amount = models.PositiveIntegerField(_("large single item (TWD)"), default=100_000)
    finance_email = models.EmailField(_("finance email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bank")
        verbose_name_plural = _("banks")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        from luckygas.delivery.validators import is_valid_tax_id

        if self.originator_tax_id and not is_valid_tax_id(self.originator_tax_id):
            raise ValidationError({"originator_tax_id": _("Not a valid company tax ID (統一編號).")})


class BankAccount(models.Model):
    """A customer's account at a bank; the number is encrypted at rest and shown masked."""

    customer = models.ForeignKey(
        "delivery.Customer", on_delete=models.PROTECT, related_name="bank_accounts", verbose_name=_("customer")
    )
    bank_branch = models.CharField(_("bank and branch"), max_length=7, validators=[seven_digits])
    account_encrypted = models.TextField(_("account (encrypted)"), editable=False)
    account_last4 = models.CharField(_("account ends in"), max_length=4, editable=False)
    holder_id = models.CharField(
        _("holder ID"), max_length=10, help_text=_("Company tax ID (8 digits) or national ID of the account holder")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer bank account")
        verbose_name_plural = _("customer bank accounts")

    def __str__(self) -> str:
        return f"{self.bank_branch} {self.masked_account}"

    @property
    def masked_account(self) -> str:
        return mask_account(self.account_last4)

    @property
    def account_number(self) -> str:
        from banking.crypto import decrypt_account

        return decrypt_account(self.account_encrypted)


class MandateStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended (fix needed)")
    CANCELLED = "cancelled", _("Cancelled")


class MandateAction(models.TextChoices):
    """What the next ACHP02 file asks the bank (its ADMARK)."""

    NONE = "", _("Nothing")
    NEW = "A", _("New authorisation")
    CANCEL = "D", _("Cancel")
    CHANGE = "M", _("Change limit or end date")


class Mandate(models.Model):
    """授權扣款: the customer's authorisation to debit an account, verified through ACHP02."""

    customer = models.ForeignKey(
        "delivery.Customer", on_delete=models.PROTECT, related_name="mandates", verbose_name=_("customer")
    )
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="mandates", verbose_name=_("bank"))
    account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="mandates", verbose_name=_("account")
    )
    customer_number = models.CharField(_("customer number (用戶號碼)"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=MandateStatus, default=MandateStatus.PENDING)
    reply_code = models.CharField(_("bank reply code"), max_length=1, blank=True)
    limit_amount = models.PositiveIntegerField(_("debit limit (TWD)"), null=True, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    pending_action = models.CharField(
        _("pending request"), max_length=1, choices=MandateAction, blank=True, default=MandateAction.NONE
    )
    requested_limit_amount = models.PositiveIntegerField(_("requested debit limit (TWD)"), null=True, blank=True)
    requested_end_date = models.DateField(_("requested end date"), null=True, blank=True)
    # The ACHP02 file that carried the pending request; cleared when the bank's reply is applied.
    request_file = models.ForeignKey(
        "TransferFile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mandates",
        verbose_name=_("sent in file"),
    )
    replied_at = models.DateTimeField(_("bank replied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "bank"], condition=Q(status="verified"), name="one_verified_mandate_per_bank"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.bank.code} · {self.get_status_display()}"

    @property
    def reply_text(self) -> str:
        from banking.codec import MANDATE_REPLY_CODES

        return MANDATE_REPLY_CODES.get(self.reply_code, "")

    def covers(self, *, amount: int, on: datetime.date) -> bool:
        if self.status != MandateStatus.VERIFIED or on < self.start_date:
            return False
        if self.end_date and on > self.end_date:
            return False
        return self.limit_amount is None or amount <= self.limit_amount


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    GENERATED = "generated", _("File generated")
    UPLOADED = "uploaded", _("Uploaded")
    RETURNS_RECEIVED = "returns_received", _("Returns received")
    SETTLED = "settled", _("Settled")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_BATCH_STATUSES = (
    BatchStatus.DRAFT,
    BatchStatus.APPROVED,
    BatchStatus.GENERATED,
    BatchStatus.UPLOADED,
    BatchStatus.RETURNS_RECEIVED,
)


class UploadMethod(models.TextChoices):
    SFTP = "sftp", _("SFTP")
    PORTAL = "portal", _("Bank portal (manual)")


class CollectionBatch(models.Model):
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="batches", verbose_name=_("bank"))
    status = models.CharField(_("status"), max_length=20, choices=BatchStatus, default=BatchStatus.DRAFT)
    collection_date = models.DateField(_("collection date"))
    item_count = models.PositiveIntegerField(_("items"), default=0)
    total_amount = models.PositiveBigIntegerField(_("total (TWD)"), default=0)
    is_large = models.BooleanField(_("large transaction"), default=False)
    large_reasons = models.JSONField(_("large transaction reasons"), default=list, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("prepared by")
    )
    prepared_at = models.DateTimeField(_("prepared at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    large_acknowledged = models.BooleanField(_("large transaction acknowledged"), default=False)
    upload_method = models.CharField(_("upload method"), max_length=10, choices=UploadMethod, blank=True)
    bank_case_number = models.CharField(_("bank case number"), max_length=40, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)
    upload_attempts = models.PositiveSmallIntegerField(_("upload attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    returns_received_at = models.DateTimeField(_("returns received at"), null=True, blank=True)
    return_window_closes_on = models.DateField(_("return window closes on"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    returns_overdue_at = models.DateTimeField(
        _("return file overdue since"),
        null=True,
        blank=True,
        help_text=_("Set when the bank's return window passed with no return file imported"),
    )

    class Meta:
        verbose_name = _("collection batch")
        verbose_name_plural = _("collection batches")
        ordering = ["-collection_date", "-id"]
        permissions = [("approve_collectionbatch", _("Can approve collection batches"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.bank.code} {self.collection_date:%Y-%m-%d}"


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    COLLECTED = "collected", _("Collected")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")


class NextAction(models.TextChoices):
    NONE = "", _("None")
    RETRY = "retry", _("Retry next cycle")
    FIX_MANDATE = "fix_mandate", _("Stop and fix the mandate")


class CollectionItem(models.Model):
    batch = models.ForeignKey(CollectionBatch, on_delete=models.CASCADE, related_name="items", verbose_name=_("batch"))
    invoice = models.ForeignKey(
        "delivery.Invoice", on_delete=models.PROTECT, related_name="collection_items", verbose_name=_("invoice")
    )
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="items", verbose_name=_("mandate"))
    sequence = models.PositiveIntegerField(_("sequence"))
    amount = models.PositiveIntegerField(_("amount (TWD)"))
    note = models.CharField(_("originator note"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=ItemStatus, default=ItemStatus.PENDING)
    # True while the batch is open and the item not yet resolved: an invoice is in one open batch only.
    is_open = models.BooleanField(_("open"), default=True, editable=False)
    return_code = models.CharField(_("return code"), max_length=2, blank=True)
    next_action = models.CharField(_("next action"), max_length=12, choices=NextAction, blank=True, default="")
    payment = models.ForeignKey(
        "delivery.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("payment")
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("collection item")
        verbose_name_plural = _("collection items")
        ordering = ["batch", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["invoice"], condition=Q(is_open=True), name="invoice_in_one_open_batch"),
            models.UniqueConstraint(fields=["batch", "sequence"], name="unique_item_sequence"),
            models.UniqueConstraint(fields=["note"], name="unique_item_note"),
        ]

    def __str__(self) -> str:
        return f"{self.note} NT${self.amount:,}"

    @property
    def return_reason(self) -> str:
        return RETURN_REASONS.get(self.return_code, "")


class Direction(models.TextChoices):
    OUTGOING = "outgoing", _("To the bank")
    INCOMING = "incoming", _("From the bank")


class TransferFile(models.Model):
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="files", verbose_name=_("bank"))
    batch = models.ForeignKey(
        CollectionBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="files", verbose_name=_("batch")
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction)
    kind = models.CharField(_("format"), max_length=6)
    file_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("plain size (bytes)"))
    sha256 = models.CharField(_("plain SHA-256"), max_length=64)
    sealed_size = models.PositiveBigIntegerField(_("encrypted size (bytes)"))
    sealed_sha256 = models.CharField(_("encrypted SHA-256"), max_length=64)
    # The encrypted envelope: exactly what was (or will be) sent, or what was received.
    sealed_content = models.BinaryField(_("encrypted copy"))
    sealed_by_bank = models.BooleanField(_("sealed by the bank"), default=False)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    total_amount = models.PositiveBigIntegerField(_("total (TWD)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer file")
        verbose_name_plural = _("transfer files")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "direction", "file_name"], name="unique_transfer_file_name"),
            models.UniqueConstraint(
                fields=["batch"], condition=Q(direction="outgoing"), name="one_outgoing_file_per_batch"
            ),
            # A return file received twice under two names (same bytes) is imported once. (A mandate reply
            # received again applies nothing by itself: it only answers a request still waiting.)
            models.UniqueConstraint(
                fields=["bank", "sha256"],
                condition=Q(direction="incoming", kind="ACHR01"),
                name="unique_return_file_content",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name


class ReturnRecord(models.Model):
    transfer_file = models.ForeignKey(
        TransferFile, on_delete=models.PROTECT, related_name="returns", verbose_name=_("return file")
    )
    item = models.ForeignKey(
        CollectionItem, on_delete=models.PROTECT, null=True, blank=True, related_name="returns", verbose_name=_("item")
    )
    line_number = models.PositiveIntegerField(_("line"))
    sequence = models.PositiveIntegerField(_("original sequence"))
    original_date = models.DateField(_("original date"), null=True, blank=True)
    amount = models.PositiveIntegerField(_("amount (TWD)"))
    return_code = models.CharField(_("return code"), max_length=2)
    note = models.CharField(_("originator note"), max_length=40)
    problem = models.CharField(_("problem"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("return record")
        verbose_name_plural = _("return records")
        ordering = ["transfer_file", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["transfer_file", "line_number"], name="unique_return_line"),
        ]

    def __str__(self) -> str:
        return f"{self.note} {self.return_code}"


class Reconciliation(models.Model):
    batch = models.OneToOneField(
        CollectionBatch, on_delete=models.PROTECT, related_name="reconciliation", verbose_name=_("batch")
    )
    expected_count = models.PositiveIntegerField(_("expected items"))
    expected_amount = models.PositiveBigIntegerField(_("expected (TWD)"))
    collected_count = models.PositiveIntegerField(_("collected items"))
    collected_amount = models.PositiveBigIntegerField(_("collected (TWD)"))
    returned_count = models.PositiveIntegerField(_("returned items"))
    returned_amount = models.PositiveBigIntegerField(_("returned (TWD)"))
    returned_by_reason = models.JSONField(_("returned by reason"), default=dict)
    unmatched_count = models.PositiveIntegerField(_("unmatched returns"))
    exceptions = models.JSONField(_("exceptions"), default=list, blank=True)
    created_at = models.DateTimeField(_("reconciled at"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("emailed to finance at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.batch}"


class BusinessDayOverride(models.Model):
    """A day that differs from the weekday rule: a national holiday, a make-up workday, a typhoon day."""

    date = models.DateField(_("date"), unique=True)
    is_business_day = models.BooleanField(_("business day"))
    reason = models.CharField(_("reason"), max_length=100)

    class Meta:
        verbose_name = _("business day override")
        verbose_name_plural = _("business day overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class AppendOnlyError(PermissionError):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit records are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit records are append-only")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit records are append-only")


class AuditRecord(models.Model):
    """Append-only, hash-chained: each record's hash covers its content and the previous record's hash."""

    at = models.DateTimeField(_("at"))
    actor = models.CharField(_("who"), max_length=150)
    action = models.CharField(_("what"), max_length=40, db_index=True)
    bank_code = models.CharField(_("bank"), max_length=3, blank=True)
    batch_id_ref = models.PositiveBigIntegerField(_("batch"), null=True, blank=True)
    file_sha256 = models.CharField(_("file hash"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    previous_hash = models.CharField(_("previous hash"), max_length=64)
    record_hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit records are append-only")
