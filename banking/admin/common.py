"""Shared pieces of the banking admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.admin_tools import ReadOnlyAdmin, apply_to_each, error_text

__all__ = ["CalendarWarningMixin", "FormPageMixin", "ReadOnlyAdmin", "apply_to_each", "error_text", "queue_per_bank"]


def queue_per_bank(model_admin: Any, request: HttpRequest, queryset: Any, task: Any, done: str) -> None:
    """Queue a bank task once for each bank of the selected rows; `done` is a "%(count)s" message."""
    bank_ids = sorted(set(queryset.values_list("bank_id", flat=True)))
    for bank_id in bank_ids:
        task.delay(bank_id)
    model_admin.message_user(request, done % {"count": len(bank_ids)})


class FormPageMixin:
    """An admin's own one-form pages (prepare a batch, import a file, request a change)."""

    def _form_page(self, request: HttpRequest, form: forms.Form, title: str, submit: str) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": self.model._meta,  # type: ignore[attr-defined]
            "title": title,
            "form": form,
            "submit_label": submit,
        }
        return TemplateResponse(request, "admin/banking/form.html", context)


class CalendarWarningMixin:
    """A list screen that says which coming year's holidays are missing (batches and the calendar itself)."""

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "GET":
            warn_if_calendar_incomplete(request)
        return super().changelist_view(request, extra_context)  # type: ignore[misc]


def warn_if_calendar_incomplete(request: HttpRequest) -> None:
    from banking.calendar import years_without_holidays

    years = years_without_holidays(timezone.localdate())
    if years:
        messages.warning(
            request,
            _(
                "The bank calendar has no holidays for %(years)s: until they are entered under Business day "
                "overrides, every weekday of that year counts as a bank business day."
            )
            % {"years": ", ".join(map(str, years))},
        )
