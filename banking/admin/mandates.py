"""Customer bank accounts and mandates: requests to the bank (ACHP02) and its replies."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from banking import services
from banking.admin.common import FormPageMixin, apply_to_each, queue_per_bank
from banking.models import Bank, BankAccount, Mandate, MandateAction, MandateStatus
from luckygas.admin_tools import TolerantAutocompleteMixin
from luckygas.masking import mask_national_id


class BankAccountForm(forms.ModelForm):
    account_number = forms.CharField(label=_("account number"), max_length=16, required=True)

    class Meta:
        model = BankAccount
        fields = ["customer", "bank_branch", "holder_id"]


@admin.register(BankAccount)
class BankAccountAdmin(TolerantAutocompleteMixin, admin.ModelAdmin):
    list_display = ["customer", "bank_branch", "masked_account", "masked_holder", "created_at"]
    search_fields = ["customer__code", "customer__short_name", "account_last4"]
    autocomplete_fields = ["customer"]
    form = BankAccountForm

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["customer", "bank_branch", "masked_account", "holder_id"] if obj else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj:
            return ["customer", "bank_branch", "masked_account", "holder_id"]
        return ["customer", "bank_branch", "account_number", "holder_id"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type:
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    @admin.display(description=_("account"))
    def masked_account(self, obj: BankAccount) -> str:
        return obj.masked_account

    @admin.display(description=_("holder ID"))
    def masked_holder(self, obj: BankAccount) -> str:
        return mask_national_id(obj.holder_id) if len(obj.holder_id) == 10 else obj.holder_id

    def save_model(self, request: HttpRequest, obj: BankAccount, form: forms.Form, change: bool) -> None:
        if change:
            return
        created = services.bank_account_create(
            customer=form.cleaned_data["customer"],
            bank_branch=form.cleaned_data["bank_branch"],
            account_number=form.cleaned_data["account_number"],
            holder_id=form.cleaned_data["holder_id"],
        )
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AwaitingReplyFilter(admin.SimpleListFilter):
    title = _("bank reply")
    parameter_name = "awaiting"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("unsent", _("Request not yet sent")), ("sent", _("Sent, awaiting the reply"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Mandate]) -> QuerySet[Mandate]:
        pending = queryset.exclude(pending_action=MandateAction.NONE)
        if self.value() == "unsent":
            return pending.filter(request_file__isnull=True)
        if self.value() == "sent":
            return pending.filter(request_file__isnull=False)
        return queryset


class MandateCreateForm(forms.ModelForm):
    class Meta:
        model = Mandate
        fields = ["customer", "bank", "account", "customer_number", "start_date", "end_date", "limit_amount"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if all(data.get(name) for name in ("customer", "account", "customer_number", "start_date")):
            for field, text in services.mandate_errors(
                customer=data["customer"],
                account=data["account"],
                customer_number=data["customer_number"],
                start_date=data["start_date"],
                end_date=data.get("end_date"),
            ).items():
                self.add_error(field, text)
        return data


class MandateChangeRequestForm(forms.Form):
    limit_amount = forms.IntegerField(label=_("new debit limit (TWD)"), required=False, min_value=1)
    end_date = forms.DateField(
        label=_("new end date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class MandateReplyFileForm(forms.Form):
    bank = forms.ModelChoiceField(label=_("bank"), queryset=Bank.objects.all())
    file = forms.FileField(label=_("ACHP02 reply file (plain)"))


@admin.register(Mandate)
class MandateAdmin(TolerantAutocompleteMixin, FormPageMixin, admin.ModelAdmin):
    list_display = [
        "customer",
        "bank",
        "customer_number",
        "status",
        "pending_action",
        "limit_amount",
        "end_date",
        "bank_reply",
        "replied_at",
        "request_file",
    ]
    list_filter = ["status", "pending_action", AwaitingReplyFilter, "bank"]
    search_fields = ["customer__code", "customer__short_name", "customer_number"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer", "bank", "request_file"]
    actions = ["request_cancel", "send_requests_now", "fetch_replies_now", "record_verified"]
    change_list_template = "admin/banking/mandate/change_list.html"
    # Terms change only through the bank: "request a change" below, applied when the bank agrees.
    readonly_fields = [
        "customer",
        "bank",
        "account",
        "customer_number",
        "start_date",
        "end_date",
        "limit_amount",
        "status",
        "pending_action",
        "requested_limit_amount",
        "requested_end_date",
        "request_file",
        "bank_reply",
        "replied_at",
        "verified_at",
        "change_request_link",
    ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return MandateCreateForm.Meta.fields
        return [*self.readonly_fields, "note"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type:
        if obj is None:
            kwargs["form"] = MandateCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Mandate, form: forms.Form, change: bool) -> None:
        if change:
            services.mandate_note_update(mandate=obj, note=form.cleaned_data.get("note", obj.note))
            return
        created = services.mandate_create(actor=request.user, **form.cleaned_data)
        obj.pk = created.pk

    @admin.display(description=_("bank reply"))
    def bank_reply(self, obj: Mandate) -> str:
        return f"{obj.reply_code} {obj.reply_text}" if obj.reply_code else "—"

    @admin.display(description=_("request a change"))
    def change_request_link(self, obj: Mandate) -> str:
        if obj.status != MandateStatus.VERIFIED or obj.pending_action:
            return "—"
        url = reverse("admin:banking_mandate_change_request", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Request a new limit or end date"))

    def _each(self, request: HttpRequest, queryset: QuerySet[Mandate], operation: Any, done: str) -> None:
        apply_to_each(self, request, queryset, operation, done)

    @admin.action(description=_("Ask the bank to cancel the selected mandates"), permissions=["change"])
    def request_cancel(self, request: HttpRequest, queryset: QuerySet[Mandate]) -> None:
        self._each(
            request,
            queryset,
            lambda mandate: services.mandate_request_cancel(mandate=mandate, actor=request.user),
            _("%(count)s cancellations will be sent to the bank."),
        )

    @admin.action(description=_("Send waiting requests to the bank now (ACHP02)"), permissions=["change"])
    def send_requests_now(self, request: HttpRequest, queryset: QuerySet[Mandate]) -> None:
        from banking.tasks import send_bank_mandates

        queue_per_bank(self, request, queryset, send_bank_mandates, _("Mandate files queued for %(count)s banks."))

    @admin.action(description=_("Fetch the bank's replies now"), permissions=["change"])
    def fetch_replies_now(self, request: HttpRequest, queryset: QuerySet[Mandate]) -> None:
        from banking.tasks import fetch_bank_mandate_replies

        queue_per_bank(
            self, request, queryset, fetch_bank_mandate_replies, _("Reply fetch queued for %(count)s banks.")
        )

    @admin.action(description=_("Record the bank's reply: verified (0)"), permissions=["change"])
    def record_verified(self, request: HttpRequest, queryset: QuerySet[Mandate]) -> None:
        self._each(
            request,
            queryset,
            # Only a new authorisation that went out to the bank: a cancel or change, or a request
            # never sent, cannot have been verified.
            lambda mandate: services.mandate_record_reply(
                mandate=mandate, reply_code="0", actor=request.user, reply_action=MandateAction.NEW, sent_only=True
            ),
            _("%(count)s mandates verified."),
        )

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("import-replies/", view(self.import_replies_view), name="banking_mandate_import_replies"),
            path("<int:pk>/change-request/", view(self.change_request_view), name="banking_mandate_change_request"),
            *super().get_urls(),
        ]

    def change_request_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        mandate = get_object_or_404(Mandate, pk=pk)
        form = MandateChangeRequestForm(
            request.POST or None, initial={"limit_amount": mandate.limit_amount, "end_date": mandate.end_date}
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.mandate_request_change(
                    mandate=mandate,
                    limit_amount=form.cleaned_data["limit_amount"],
                    end_date=form.cleaned_data["end_date"],
                    actor=request.user,
                )
            except ValidationError as error:
                for field, texts in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, texts)
            else:
                self.message_user(request, _("The change will be sent to the bank; the current terms hold until then."))
                return HttpResponseRedirect(reverse("admin:banking_mandate_change", args=[pk]))
        return self._form_page(request, form, _("Request a change of %(mandate)s") % {"mandate": mandate}, _("Request"))

    def import_replies_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = MandateReplyFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.mandate_replies_import(
                    bank=form.cleaned_data["bank"],
                    data=upload.read(),
                    file_name=upload.name,
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
                        _("Imported: %(accepted)s accepted, %(refused)s refused, %(unmatched)s unmatched.")
                        % result.counts,
                        messages.SUCCESS,
                    )
                else:
                    self.message_user(request, _("This file was already imported; nothing changed."), messages.WARNING)
                return HttpResponseRedirect(reverse("admin:banking_mandate_changelist"))
        return self._form_page(request, form, _("Upload the bank's mandate reply file"), _("Import"))
