"""Opt-outs, marketing consent, the allowlist and recorded limit bypasses."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from luckygas.masking import mask_phone
from sms import services
from sms.models import (
    AllowlistEntry,
    LimitBypass,
    MarketingConsent,
    OptOut,
)


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
