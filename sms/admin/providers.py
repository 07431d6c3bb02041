"""SMS providers: routing data, today's figures and circuit state."""

import datetime

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sms import selectors
from sms.models import (
    Provider,
)

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
