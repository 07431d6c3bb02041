"""Collection batches: prepare, approve (maker-checker), generate, upload, the manual portal path, reports."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from banking import calendar, codec, reports, services
from banking.admin.common import CalendarWarningMixin, FormPageMixin, apply_to_each, error_text, queue_per_bank
from banking.models import (
    Bank,
    BatchStatus,
    CollectionBatch,
    CollectionItem,
    Reconciliation,
)


class CollectionItemInline(admin.TabularInline):
    model = CollectionItem
    fields = ["sequence", "invoice", "customer", "account", "amount", "note", "status", "return_code", "next_action"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CollectionItem]:
        return super().get_queryset(request).select_related("invoice__customer", "mandate__account")

    @admin.display(description=_("customer"))
    def customer(self, obj: CollectionItem) -> str:
        return str(obj.invoice.customer)

    @admin.display(description=_("account"))
    def account(self, obj: CollectionItem) -> str:
        return obj.mandate.account.masked_account


class PrepareForm(forms.Form):
    bank = forms.ModelChoiceField(label=_("bank"), queryset=Bank.objects.filter(is_active=True))
    collection_date = forms.DateField(
        label=_("collection date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class CaseNumberForm(forms.Form):
    case_number = forms.CharField(label=_("bank case number"), max_length=40)


class ReturnFileForm(forms.Form):
    bank = forms.ModelChoiceField(label=_("bank"), queryset=Bank.objects.all())
    file = forms.FileField(label=_("ACHR01 return file (plain)"))


class JournalForm(forms.Form):
    start = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("to"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    batch = forms.IntegerField(label=_("batch number (optional)"), required=False, min_value=1)
    file_format = forms.ChoiceField(label=_("format"), choices=[("csv", "CSV"), ("xlsx", "Excel")])
    report = forms.ChoiceField(
        label=_("report"), choices=[("journal", _("Accounting journal")), ("large", _("Large transactions"))]
    )


@admin.register(CollectionBatch)
class CollectionBatchAdmin(CalendarWarningMixin, FormPageMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "bank",
        "collection_date",
        "status",
        "item_count",
        "total_amount",
        "is_large",
        "prepared_by",
        "approved_by",
        "upload_method",
        "returns_overdue",
        "file_links",
    ]
    list_filter = ["status", "bank", "is_large", "upload_method", ("returns_overdue_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "collection_date"
    inlines = [CollectionItemInline]
    readonly_fields = [field.name for field in CollectionBatch._meta.fields]
    actions = ["approve", "approve_large", "generate_file", "upload_now"]
    change_list_template = "admin/banking/collectionbatch/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("banking.approve_collectionbatch")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CollectionBatch]:
        # The reconciliation too: the files column links its reports (one query per row otherwise).
        return super().get_queryset(request).select_related("bank", "prepared_by", "approved_by", "reconciliation")

    @admin.display(description=_("return file overdue"), boolean=True)
    def returns_overdue(self, obj: CollectionBatch) -> bool:
        # Flagged by the morning check until a return file arrives for the batch.
        return obj.returns_overdue_at is not None and obj.status == BatchStatus.UPLOADED

    @admin.display(description=_("files"))
    def file_links(self, obj: CollectionBatch) -> str:
        links = []
        if obj.status not in (BatchStatus.DRAFT, BatchStatus.APPROVED, BatchStatus.CANCELLED):
            links.append((reverse("admin:banking_collectionbatch_download", args=[obj.pk]), _("ACHP01")))
        if obj.status == BatchStatus.GENERATED:
            links.append((reverse("admin:banking_collectionbatch_portal", args=[obj.pk]), _("mark uploaded")))
        if hasattr(obj, "reconciliation"):
            links.append((reverse("admin:banking_collectionbatch_report", args=[obj.pk, "pdf"]), "PDF"))
            links.append((reverse("admin:banking_collectionbatch_report", args=[obj.pk, "xlsx"]), "Excel"))
        if not links:
            return ""
        return format_html(" · ".join(['<a href="{}">{}</a>'] * len(links)), *[part for link in links for part in link])

    def _run(self, request: HttpRequest, queryset: QuerySet[CollectionBatch], operation: Any, done: str) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            operation,
            done,
            label=lambda batch: f"#{batch.pk}",
            refusals=(ValidationError, PermissionDenied, codec.CodecError),
        )

    def _approve(self, request: HttpRequest, queryset: QuerySet[CollectionBatch], *, acknowledge_large: bool) -> None:
        self._run(
            request,
            queryset,
            lambda batch: services.batch_approve(
                batch=batch, approver=request.user, acknowledge_large=acknowledge_large
            ),
            _("%(count)s batches approved."),
        )
        # The file follows the approval; say now when a missing key will hold it back.
        for bank in Bank.objects.filter(pk__in=queryset.values("bank_id")).order_by("pk"):
            missing = services.bank_missing_secrets(bank)
            if missing:
                self.message_user(
                    request,
                    _(
                        "Bank %(bank)s: the file can't be generated until %(names)s is configured; the batch stays "
                        "approved, then use “Generate the file now”."
                    )
                    % {"bank": bank.code, "names": ", ".join(missing)},
                    messages.WARNING,
                )

    @admin.action(description=_("Approve selected batches"), permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[CollectionBatch]) -> None:
        self._approve(request, queryset, acknowledge_large=False)

    @admin.action(description=_("Approve, acknowledging the large-transaction flag"), permissions=["approve"])
    def approve_large(self, request: HttpRequest, queryset: QuerySet[CollectionBatch]) -> None:
        self._approve(request, queryset, acknowledge_large=True)

    @admin.action(description=_("Generate the file now"), permissions=["change"])
    def generate_file(self, request: HttpRequest, queryset: QuerySet[CollectionBatch]) -> None:
        self._run(
            request,
            queryset,
            lambda batch: services.batch_generate_file(batch=batch, actor=request.user),
            _("%(count)s files generated."),
        )

    @admin.action(description=_("Upload generated files by SFTP now"), permissions=["change"])
    def upload_now(self, request: HttpRequest, queryset: QuerySet[CollectionBatch]) -> None:
        from banking.tasks import upload_bank_batches

        queue_per_bank(
            self,
            request,
            queryset.filter(status=BatchStatus.GENERATED),
            upload_bank_batches,
            _("Upload queued for %(count)s banks; see each batch's status."),
        )

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("prepare/", view(self.prepare_view), name="banking_collectionbatch_prepare"),
            path("import-returns/", view(self.import_returns_view), name="banking_collectionbatch_import_returns"),
            path("exports/", view(self.exports_view), name="banking_collectionbatch_exports"),
            path("<int:pk>/download/", view(self.download_view), name="banking_collectionbatch_download"),
            path("<int:pk>/portal/", view(self.portal_view), name="banking_collectionbatch_portal"),
            path("<int:pk>/report.<str:file_format>", view(self.report_view), name="banking_collectionbatch_report"),
            *super().get_urls(),
        ]

    def prepare_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request) or not request.user.has_perm("banking.add_collectionbatch"):
            raise PermissionDenied
        # The first day a bank takes (today only on a business day): today on a weekend was always refused.
        first_day = calendar.next_business_day(timezone.localdate(), include_today=True)
        form = PrepareForm(request.POST or None, initial={"collection_date": first_day})
        if request.method == "POST" and form.is_valid():
            try:
                result = services.batch_prepare(
                    bank=form.cleaned_data["bank"],
                    collection_date=form.cleaned_data["collection_date"],
                    prepared_by=request.user,
                )
            except ValidationError as error:
                # Under the field it is about (a refused date), not prefixed by its code name ("collection_date: …").
                for field, texts in getattr(error, "message_dict", {NON_FIELD_ERRORS: error.messages}).items():
                    form.add_error(field if field in form.fields else None, texts)
            else:
                for number, reason in result.skipped:
                    self.message_user(request, f"{number}: {gettext(reason)}", messages.WARNING)
                if result.batch is None:
                    form.add_error(None, _("No due direct-debit invoice with a verified mandate."))
                else:
                    self.message_user(
                        request,
                        _("Batch #%(pk)s prepared: %(count)s items. Another user must approve it.")
                        % {"pk": result.batch.pk, "count": result.batch.item_count},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:banking_collectionbatch_change", args=[result.batch.pk]))
        return self._form_page(request, form, _("Prepare a collection batch"), _("Prepare"))

    def download_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(CollectionBatch, pk=pk)
        try:
            name, plain = services.batch_download_file(batch=batch, actor=request.user)
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:banking_collectionbatch_changelist"))
        response = HttpResponse(plain, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def portal_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(CollectionBatch, pk=pk)
        form = CaseNumberForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.batch_mark_uploaded_manually(
                    batch=batch, actor=request.user, case_number=form.cleaned_data["case_number"]
                )
            except ValidationError as error:
                form.add_error(None, error_text(error))
            else:
                self.message_user(request, _("Batch #%(pk)s marked uploaded through the bank portal.") % {"pk": pk})
                return HttpResponseRedirect(reverse("admin:banking_collectionbatch_change", args=[pk]))
        return self._form_page(
            request, form, _("Mark batch #%(pk)s uploaded through the bank portal") % {"pk": pk}, _("Mark uploaded")
        )

    def import_returns_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = ReturnFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.returns_import(
                    bank=form.cleaned_data["bank"],
                    file_name=upload.name,
                    data=upload.read(),
                    sealed=False,
                    actor=request.user,
                )
            except ValidationError as error:
                for text in error.messages:
                    form.add_error("file", text)
            else:
                if result.created:
                    self.message_user(
                        request,
                        _("Imported: %(matched)s returns matched, %(unmatched)s unmatched.")
                        % {"matched": result.matched, "unmatched": result.unmatched},
                        messages.SUCCESS,
                    )
                else:
                    self.message_user(request, _("This file was already imported; nothing changed."), messages.WARNING)
                return HttpResponseRedirect(reverse("admin:banking_collectionbatch_changelist"))
        return self._form_page(request, form, _("Upload a return file"), _("Import"))

    def report_view(self, request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        reconciliation = get_object_or_404(Reconciliation.objects.select_related("batch__bank"), batch_id=pk)
        name = f"reconciliation-{reconciliation.batch.bank.code}-{pk}"
        if file_format == "pdf":
            return HttpResponse(
                reports.reconciliation_pdf(reconciliation),
                content_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
            )
        if file_format == "xlsx":
            return HttpResponse(
                reports.reconciliation_xlsx(reconciliation),
                content_type=reports.XLSX,
                headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
            )
        return HttpResponse(status=404)

    def exports_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        form = JournalForm(
            request.GET or None,
            initial={"start": today - datetime.timedelta(days=30), "end": today, "file_format": "csv"},
        )
        if request.GET and form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            if end < start:
                form.add_error("end", _("The end is before the start."))
            else:
                stem = f"{form.cleaned_data['report']}-{start:%Y%m%d}-{end:%Y%m%d}"
                if form.cleaned_data["report"] == "large":
                    return HttpResponse(
                        reports.large_transactions_csv(start=start, end=end),
                        content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
                    )
                batch_id = form.cleaned_data["batch"]
                if batch_id:
                    stem += f"-batch{batch_id}"
                if form.cleaned_data["file_format"] == "xlsx":
                    return HttpResponse(
                        reports.journal_xlsx(start=start, end=end, batch_id=batch_id),
                        content_type=reports.XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
                    )
                return HttpResponse(
                    reports.journal_csv(start=start, end=end, batch_id=batch_id),
                    content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
                )
        form_page = self._form_page(request, form, _("Accounting and regulatory exports"), _("Download"))
        form_page.context_data["method"] = "get"
        return form_page
