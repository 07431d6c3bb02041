"""Shared pieces of the banking admin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _


def error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError) and hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(texts)}" for field, texts in error.message_dict.items())
    return " ".join(getattr(error, "messages", [str(error)]))


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def apply_to_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    operation: Callable[[Any], object],
    done: str,
    *,
    label: Callable[[Any], str] = str,
    refusals: tuple[type[Exception], ...] = (ValidationError,),
) -> None:
    """Run an admin action's service call per object in pk order: each refusal is its own error
    message naming the object, the successes are counted in one message."""
    succeeded = 0
    for obj in queryset.order_by("pk"):
        try:
            operation(obj)
        except refusals as error:
            model_admin.message_user(request, f"{label(obj)}: {error_text(error)}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, done % {"count": succeeded}, messages.SUCCESS)


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
