"""What the delivery admin modules share."""

import re
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest


def _report_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


class HistoryInline(admin.TabularInline):
    """Rows written only by services (payments, status changes): shown under their parent, never edited."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PhoneSearchMixin:
    """Search also finds a phone typed the way people say it (0919 781 790, 02-2345-6789).

    Phones are stored as E.164 (+886919781790), so a plain search for the digits a caller gives
    found nothing; `phone_search_fields` are the phone fields to look in (e.g. "customer__phone").
    """

    phone_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        digits = re.sub(r"[\s\-()]", "", search_term)
        if re.fullmatch(r"0\d{3,9}", digits):
            e164 = "+886" + digits[1:]
            matches = Q()
            for field in self.phone_search_fields:
                matches |= Q(**{f"{field}__startswith": e164})
            results = results | queryset.filter(matches)
        return results, may_have_duplicates
