"""The outbox: messages, dead letters, their history and the resend actions."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from luckygas.masking import mask_phone
from sms import crypto, selectors, services
from sms.models import (
    Attempt,
    DeadLetter,
    Message,
    MessageStatus,
    ProviderEvent,
    ProviderName,
    StatusChange,
)
from sms.providers import get_provider


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
