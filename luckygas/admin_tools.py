"""Pieces every app's admin shares: read-only admins, per-object actions, guarded import/export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from import_export.admin import ImportExportModelAdmin


def error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError) and hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(texts)}" for field, texts in error.message_dict.items())
    return " ".join(getattr(error, "messages", [str(error)]))


class TolerantAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, which looks the selected value up to show it again.

    A refused form is shown again with what was posted; a value that is no key at all ("a<NUL>b",
    "1e+308") made the look-up raise, and the page a 500. Such a value is simply not shown: the
    form's own error already names the field.
    """

    def optgroups(self, name: str, value: list[Any], attr: dict[str, Any] | None = None) -> list[Any]:
        target = self.field.remote_field.model._meta.get_field(self.field.remote_field.field_name)
        keys = []
        for item in value:
            try:
                target.to_python(item)
            except ValidationError:
                continue
            if "\x00" not in str(item):  # PostgreSQL refuses NUL even in a look-up
                keys.append(item)
        return super().optgroups(name, keys, attr)


class TolerantAutocompleteMixin:
    """Use on every ModelAdmin with `autocomplete_fields` (see TolerantAutocompleteSelect)."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs["widget"] = TolerantAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))  # type: ignore[attr-defined]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services (audit, files, sync logs): admin may look, never edit."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
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
    done: str | Callable[[int], str],
    *,
    label: Callable[[Any], str] = str,
    refusals: tuple[type[Exception], ...] = (ValidationError,),
) -> None:
    """Run an admin action's service call per object in pk order: each refusal is its own error
    message naming the object, the successes are counted in one message (`done` is a
    "%(count)d" template, or a function of the count for ngettext's plural forms)."""
    succeeded = 0
    for obj in queryset.order_by("pk"):
        try:
            operation(obj)
        except refusals as error:
            model_admin.message_user(request, f"{label(obj)}: {error_text(error)}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        text = done(succeeded) if callable(done) else done % {"count": succeeded}
        model_admin.message_user(request, text, messages.SUCCESS)


class GuardedImportExportAdmin(ImportExportModelAdmin):
    """Import and export held to the model's own permissions, through django-import-export's
    `has_import_permission`/`has_export_permission` hooks (which its import, process-import and
    export views all check). The library's IMPORT_EXPORT_IMPORT_PERMISSION_CODE names one codename,
    but one uploaded file may both add rows and update existing ones, so import needs add AND
    change; export shows every row, so it needs view (which change implies)."""

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)
