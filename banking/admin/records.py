"""Banks, and the read-only records: transfer files, returns, reconciliations, the audit trail; the calendar."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from banking import codec
from banking.admin.common import CalendarWarningMixin, ReadOnlyAdmin
from banking.models import (
    AuditRecord,
    Bank,
    BusinessDayOverride,
    Reconciliation,
    ReturnRecord,
    TransferFile,
)
from banking.transport import CircuitBreaker


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sending_unit", "transaction_code", "sftp_host", "circuit_state", "is_active"]
    search_fields = ["code", "name"]
    fieldsets = [
        (None, {"fields": ["code", "name", "is_active", "sending_unit", "originator_account", "originator_tax_id"]}),
        (_("File format"), {"fields": ["transaction_code", "file_name_pattern"]}),
        (
            _("SFTP"),
            {"fields": ["sftp_host", "sftp_port", "sftp_username", "host_key", "upload_folder", "returns_folder"]},
        ),
        (_("Keys"), {"fields": ["key_reference", "signature_algorithm"]}),
        (
            _("Schedule and limits"),
            {
                "fields": [
                    "upload_cutoff",
                    "return_window_business_days",
                    "large_batch_total",
                    "large_item_amount",
                    "finance_email",
                ]
            },
        ),
    ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("circuit"))
    def circuit_state(self, obj: Bank) -> str:
        return CircuitBreaker(obj.code).state()


@admin.register(TransferFile)
class TransferFileAdmin(ReadOnlyAdmin):
    list_display = [
        "file_name",
        "bank",
        "batch",
        "direction",
        "kind",
        "record_count",
        "total_amount",
        "sha256",
        "delivered_at",
    ]
    list_filter = ["direction", "bank", "kind"]
    exclude = ["sealed_content"]


@admin.register(ReturnRecord)
class ReturnRecordAdmin(ReadOnlyAdmin):
    list_display = ["transfer_file", "line_number", "note", "amount", "return_code", "reason", "item", "problem"]
    list_filter = ["return_code"]
    search_fields = ["note"]

    @admin.display(description=_("reason"))
    def reason(self, obj: ReturnRecord) -> str:
        return codec.RETURN_REASONS.get(obj.return_code, "")


@admin.register(Reconciliation)
class ReconciliationAdmin(ReadOnlyAdmin):
    list_display = [
        "batch",
        "expected_count",
        "expected_amount",
        "collected_count",
        "collected_amount",
        "returned_count",
        "returned_amount",
        "unmatched_count",
        "emailed_at",
        "downloads",
    ]

    @admin.display(description=_("report"))
    def downloads(self, obj: Reconciliation) -> str:
        return format_html(
            '<a href="{}">PDF</a> · <a href="{}">Excel</a>',
            reverse("admin:banking_collectionbatch_report", args=[obj.batch_id, "pdf"]),
            reverse("admin:banking_collectionbatch_report", args=[obj.batch_id, "xlsx"]),
        )


@admin.register(BusinessDayOverride)
class BusinessDayOverrideAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["date", "is_business_day", "reason"]
    list_filter = ["is_business_day"]
    date_hierarchy = "date"


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "actor", "action", "bank_code", "batch_id_ref", "file_sha256", "record_hash"]
    list_filter = ["action", "bank_code"]
    search_fields = ["actor", "action", "file_sha256"]
