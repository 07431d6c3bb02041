"""SMS templates and their variants, with the live segment counter."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sms import rendering, selectors, services
from sms.models import (
    Priority,
    Provider,
    Template,
    TemplateVariant,
)
from sms.segments import GSM7_BASIC_CHARACTERS, GSM7_EXTENSION_CHARACTERS, count_segments


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
