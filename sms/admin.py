"""The office's SMS screens: templates with a live counter, messages with their whole history,
dead letters with "resend via…", opt-outs, consent, the link allowlist and provider routing."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from luckygas.masking import mask_phone
from sms import crypto, rendering, selectors, services
from sms.models import (
    AllowlistEntry,
    Attempt,
    DeadLetter,
    LimitBypass,
    MarketingConsent,
    Message,
    MessageStatus,
    OptOut,
    Priority,
    Provider,
    ProviderEvent,
    ProviderName,
    StatusChange,
    Template,
    TemplateVariant,
)
from sms.providers import get_provider
from sms.segments import GSM7_BASIC_CHARACTERS, GSM7_EXTENSION_CHARACTERS, count_segments

CIRCUIT_LABELS = {"closed": _("closed (healthy)"), "open": _("open (skipped)"), "half_open": _("half-open (probing)")}


def _today() -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)


# --- Providers ---------------------------------------------------------------------------------


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "priority", "is_enabled", "unit_price_centi", "rate_per_second", "balance", "balance_alert"]
    list_editable = ["priority", "is_enabled"]
    readonly_fields = ["balance", "balance_updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Provider | None = None) -> bool:
        return False

    @admin.display(description=_("balance alert"), boolean=True)
    def balance_alert(self, obj: Provider) -> bool:
        return not obj.is_balance_low

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        start, end = _today()
        stats = selectors.provider_stats(start=start, end=end)
        for row in stats:
            row["circuit_label"] = CIRCUIT_LABELS.get(row["circuit_state"], row["circuit_state"])
            if row["balance_low"]:
                messages.warning(
                    request,
                    gettext("%(provider)s balance is low: %(balance)s.")
                    % {"provider": row["label"], "balance": row["balance"]},
                )
        return super().changelist_view(request, {**(extra_context or {}), "provider_stats": stats})


# --- Templates ---------------------------------------------------------------------------------


class TemplateVariantForm(forms.ModelForm):
    class Meta:
        model = TemplateVariant
        fields = ["label", "body", "weight", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3, "cols": 70})}

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        try:
            rendering.validate_template_body(body)
        except ValidationError as error:
            raise ValidationError(error.message_dict["body"]) from error
        return body


class TemplateVariantFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if self.instance.priority != Priority.MARKETING:
            return
        for form in self.forms:
            body = form.cleaned_data.get("body") if hasattr(form, "cleaned_data") else None
            if not body or form.cleaned_data.get("DELETE"):
                continue
            try:
                services.check_marketing_text(rendering.marketing_body(body))
            except ValidationError as error:
                form.add_error("body", error.message_dict["body"])


class TemplateVariantInline(admin.TabularInline):
    model = TemplateVariant
    form = TemplateVariantForm
    formset = TemplateVariantFormSet
    extra = 0
    min_num = 1


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "priority", "is_active", "description", "variant_count"]
    list_filter = ["priority", "is_active"]
    search_fields = ["name", "description"]
    inlines = [TemplateVariantInline]
    readonly_fields = ["variant_report"]
    fields = ["name", "description", "priority", "is_active", "variant_report"]

    @admin.display(description=_("variants"))
    def variant_count(self, obj: Template) -> int:
        return obj.variants.count()

    @admin.display(description=_("delivery rate per variant"))
    def variant_report(self, obj: Template) -> str:
        if not obj.pk:
            return "—"
        rows = selectors.variant_stats(template_id=obj.pk)
        parts = [
            gettext("%(label)s: %(delivered)s of %(sent)s delivered (%(rate)s)")
            % {
                "label": row["label"],
                "delivered": row["delivered"],
                "sent": row["sent"],
                "rate": "—" if row["delivered_rate"] is None else f"{row['delivered_rate']:.0%}",
            }
            for row in rows
        ]
        return "; ".join(parts) or "—"

    def render_change_form(self, request: HttpRequest, context: dict, *args, **kwargs):
        cheapest = Provider.objects.filter(is_enabled=True).order_by("priority").first()
        context["sms_counter_config"] = {
            "unitPriceCenti": cheapest.unit_price_centi if cheapest else 0,
            "gsm7Basic": GSM7_BASIC_CHARACTERS,
            "gsm7Extension": GSM7_EXTENSION_CHARACTERS,
            "labels": {
                "summary": gettext("%(characters)s characters · %(encoding)s · %(segments)s segment(s) · NT$%(cost)s"),
                "marketingWarning": gettext("a marketing message should fit in one segment"),
            },
        }
        return super().render_change_form(request, context, *args, **kwargs)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        template = form.instance
        if template.priority == Priority.MARKETING:
            for variant in template.variants.all():
                if count_segments(rendering.marketing_body(variant.body)).segments > 1:
                    messages.warning(
                        request,
                        gettext("Variant %(label)s needs more than one segment with the company name and opt-out text.")
                        % {"label": variant.label},
                    )


# --- Messages ----------------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ["changed_at", "from_status", "to_status", "note"]
    readonly_fields = fields


class AttemptInline(ReadOnlyInline):
    model = Attempt
    fields = [
        "started_at",
        "provider",
        "status",
        "provider_message_id",
        "is_duplicate_reply",
        "error_code",
        "error_detail",
        "accepted_at",
        "final_at",
    ]
    readonly_fields = fields


class ProviderEventInline(ReadOnlyInline):
    model = ProviderEvent
    fields = [
        "received_at",
        "provider",
        "kind",
        "provider_message_id",
        "provider_status",
        "mapped_status",
        "is_applied",
        "occurred_at",
    ]
    readonly_fields = fields


def _resend_label(provider: str) -> str:
    return gettext("Resend via %(provider)s") % {"provider": ProviderName(provider).label}


def _resend_action(provider: str):
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        resent = 0
        for message in queryset.order_by("pk"):
            try:
                copy = services.message_resend(message=message, provider=provider, operator=request.user.get_username())
                modeladmin.log_change(request, message, f"resent via {provider} as message {copy.pk}")
                resent += 1
            except ValidationError as error:
                modeladmin.message_user(request, f"{message}: {'; '.join(error.messages)}", messages.ERROR)
        if resent:
            modeladmin.message_user(
                request,
                ngettext(
                    "%(count)d message resent via %(provider)s.", "%(count)d messages resent via %(provider)s.", resent
                )
                % {"count": resent, "provider": ProviderName(provider).label},
                messages.SUCCESS,
            )

    action.__name__ = f"resend_via_{provider}"
    # Formatted when shown, so the label follows the request's language (not the one active at import).
    action.short_description = lazy(_resend_label, str)(provider)
    action.allowed_permissions = ("change",)
    return action


class MessageAdminBase(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "phone_masked",
        "template",
        "variant_label",
        "priority",
        "status",
        "provider",
        "billable_units",
        "cost_twd",
        "deferred_reason",
    ]
    list_filter = ["status", "priority", "provider", "template", "is_dead_letter"]
    search_fields = ["idempotency_key", "provider_message_id", "customer__code"]
    date_hierarchy = "created_at"
    list_select_related = ["template", "variant"]
    inlines = [StatusChangeInline, AttemptInline, ProviderEventInline]
    actions = [_resend_action(name) for name in ProviderName.values]
    readonly_fields = [
        "uuid",
        "idempotency_key",
        "customer",
        "phone_masked",
        "body",
        "template",
        "variant",
        "priority",
        "status",
        "encoding",
        "billable_units",
        "cost_twd",
        "provider",
        "provider_message_id",
        "not_before",
        "deferred_reason",
        "error_code",
        "error_detail",
        "is_dead_letter",
        "critical_resent_at",
        "resend_of",
        "created_at",
        "submitted_at",
        "accepted_at",
        "final_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    change_form_template = "admin/sms/message/change_form.html"

    @admin.display(description=_("phone"))
    def phone_masked(self, obj: Message) -> str:
        return mask_phone(obj.phone)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/resend/<str:provider>/",
                self.admin_site.admin_view(self.resend_view),
                name="{}_{}_resend".format(*info),
            ),
            *super().get_urls(),
        ]

    def resend_view(self, request: HttpRequest, object_id: int, provider: str) -> HttpResponse:
        """One click on a message page: resend it via `provider`, recording who decided."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        message = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, message):
            return HttpResponse(status=403)
        back = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[message.pk])
        try:
            copy = services.message_resend(message=message, provider=provider, operator=request.user.get_username())
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(back)
        self.log_change(request, message, f"resent via {provider} as message {copy.pk}")
        self.message_user(
            request,
            gettext("Message %(id)s resent via %(provider)s as message %(copy)s.")
            % {"id": message.pk, "provider": ProviderName(provider).label, "copy": copy.pk},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:sms_message_change", args=[copy.pk]))

    def render_change_form(self, request: HttpRequest, context: dict, *args, **kwargs):
        message = kwargs.get("obj")
        if message is not None:
            if message.status == MessageStatus.UNKNOWN and message.error_code == services.UNRECOVERABLE:
                context["sms_operator_notice"] = services.unrecoverable_notice(message)
            can_resend = message.status in (MessageStatus.FAILED, MessageStatus.EXPIRED, MessageStatus.UNKNOWN)
            if can_resend and self.has_change_permission(request, message):
                context["sms_resend_buttons"] = [
                    {
                        "url": reverse(
                            f"admin:{self.opts.app_label}_{self.opts.model_name}_resend", args=[message.pk, name]
                        ),
                        "label": gettext("Resend via %(provider)s") % {"provider": ProviderName(name).label},
                    }
                    for name in ProviderName.values
                    if get_provider(name) is not None
                ]
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description=_("variant"))
    def variant_label(self, obj: Message) -> str:
        return obj.variant.label if obj.variant else "—"

    @admin.display(description=_("cost (TWD)"))
    def cost_twd(self, obj: Message) -> str:
        return f"{obj.cost_centi / 100:.2f}"

    @admin.display(description=_("body"))
    def body(self, obj: Message) -> str:
        return crypto.decrypt_body(obj.body_encrypted)


@admin.register(Message)
class MessageAdmin(MessageAdminBase):
    pass


@admin.register(DeadLetter)
class DeadLetterAdmin(MessageAdminBase):
    list_filter = ["status", "priority", "provider", "template"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.dead_letter_list().select_related("template", "variant")


# --- Opt-outs, consent, allowlist, bypasses ----------------------------------------------------------


class OptOutForm(forms.ModelForm):
    class Meta:
        model = OptOut
        fields = ["phone", "source", "note"]

    def clean_phone(self) -> str:
        from luckygas.delivery.validators import normalize_taiwan_phone

        phone = normalize_taiwan_phone(self.cleaned_data["phone"])
        if OptOut.objects.filter(phone=phone).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("This number is already opted out."))
        return phone


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    form = OptOutForm
    list_display = ["phone_masked", "source", "note", "created_at"]
    list_filter = ["source"]
    search_fields = ["phone"]

    @admin.display(description=_("phone"))
    def phone_masked(self, obj: OptOut) -> str:
        return mask_phone(obj.phone)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        digits = "".join(character for character in search_term if character.isdigit())
        if digits.startswith("0"):
            search_term = "+886" + digits[1:]
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request: HttpRequest, obj: OptOut, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.opt_out_add(phone=obj.phone, source=obj.source, note=obj.note)
        obj.pk = created.pk


@admin.register(MarketingConsent)
class MarketingConsentAdmin(admin.ModelAdmin):
    list_display = ["phone_masked", "customer", "source", "granted_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["customer__code"]
    raw_id_fields = ["customer"]

    @admin.display(description=_("phone"))
    def phone_masked(self, obj: MarketingConsent) -> str:
        return mask_phone(obj.phone)


@admin.register(AllowlistEntry)
class AllowlistEntryAdmin(admin.ModelAdmin):
    list_display = ["kind", "value", "note"]
    list_filter = ["kind"]
    search_fields = ["value", "note"]


@admin.register(LimitBypass)
class LimitBypassAdmin(admin.ModelAdmin):
    list_display = ["recorded_at", "limit", "message"]
    list_filter = ["limit"]
    readonly_fields = ["recorded_at", "limit", "message"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LimitBypass | None = None) -> bool:
        return False
