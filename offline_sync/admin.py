"""Dispatcher screens: devices and their sync health, the conflict queue, cash to reconcile, proof.

Everything here is read-only except through services: revoking a device, resolving a conflict
(one click, audited), reconciling cash.
"""

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from luckygas.admin_tools import ReadOnlyAdmin
from luckygas.delivery.models import StopStatus
from offline_sync import selectors, services
from offline_sync.models import (
    ActionType,
    CashCollection,
    CashStatus,
    ChangeLogEntry,
    ConflictReason,
    ConflictResolution,
    ConflictStatus,
    DriverDevice,
    LocationPoint,
    MediaUpload,
    StopNote,
    SyncAction,
    SyncConflict,
)


@admin.register(DriverDevice)
class DriverDeviceAdmin(admin.ModelAdmin):
    """The dispatcher's view: per device, last sync, queue lag, clock offset, problems."""

    list_display = (
        "driver",
        "name",
        "short_device_id",
        "last_sync_at",
        "queue_lag",
        "clock_offset",
        "rejected_actions",
        "open_conflicts",
        "next_seq",
        "is_revoked",
    )
    list_filter = ("is_revoked", "driver")
    search_fields = ("driver__name", "name", "device_id")
    fields = (
        "driver",
        "name",
        "device_id",
        "is_revoked",
        "revoked_at",
        "next_seq",
        "last_sync_at",
        "last_occurred_at",
        "queue_lag_seconds",
        "clock_offset_seconds",
        "created_at",
    )
    readonly_fields = tuple(name for name in fields if name != "name")
    actions = ["revoke_devices", "reinstate_devices"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Devices register themselves when a driver logs in on the phone.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[DriverDevice]:
        return selectors.device_list_with_counts()

    @admin.display(description=_("device ID"))
    def short_device_id(self, device: DriverDevice) -> str:
        return str(device.device_id)[:8]

    @admin.display(description=_("queue lag"), ordering="queue_lag_seconds")
    def queue_lag(self, device: DriverDevice) -> str:
        return _duration(device.queue_lag_seconds)

    @admin.display(description=_("clock offset"), ordering="clock_offset_seconds")
    def clock_offset(self, device: DriverDevice) -> str:
        return _duration(device.clock_offset_seconds, signed=True)

    @admin.display(description=_("rejected actions"), ordering="rejected_actions")
    def rejected_actions(self, device: DriverDevice) -> Any:
        if not device.rejected_actions:
            return 0
        url = reverse("admin:offline_sync_syncaction_changelist")
        return format_html(
            '<a href="{}?device__id__exact={}&result__exact=rejected">{}</a>', url, device.pk, device.rejected_actions
        )

    @admin.display(description=_("open conflicts"), ordering="open_conflicts")
    def open_conflicts(self, device: DriverDevice) -> Any:
        if not device.open_conflicts:
            return 0
        url = reverse("admin:offline_sync_syncconflict_changelist")
        return format_html(
            '<a href="{}?action__device__id__exact={}&status__exact=open">{}</a>',
            url,
            device.pk,
            device.open_conflicts,
        )

    @admin.action(description=_("Revoke selected devices (their calls get 401)"), permissions=["change"])
    def revoke_devices(self, request: HttpRequest, queryset: QuerySet[DriverDevice]) -> None:
        for device in queryset.order_by("pk"):
            services.device_revoke(device=device)
        messages.success(request, _("Devices revoked."))

    @admin.action(description=_("Reinstate selected devices"), permissions=["change"])
    def reinstate_devices(self, request: HttpRequest, queryset: QuerySet[DriverDevice]) -> None:
        for device in queryset.order_by("pk"):
            services.device_reinstate(device=device)
        messages.success(request, _("Devices reinstated."))


def _duration(seconds: int | None, *, signed: bool = False) -> str:
    if seconds is None:
        return "—"
    sign = ("+" if seconds > 0 else "−" if seconds < 0 else "") if signed else ""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds} s"
    if seconds < 3600:
        return f"{sign}{seconds // 60} min {seconds % 60} s"
    return f"{sign}{seconds // 3600} h {seconds % 3600 // 60} min"


def _label(choices: type[models.TextChoices], value: str) -> str:
    """A stored code in the reader's language; a code the choices do not know (yet) as it is."""
    return str(choices(value).label) if value in choices.values else value


class ConflictReasonFilter(admin.SimpleListFilter):
    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(ConflictReason.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[SyncConflict]) -> QuerySet[SyncConflict]:
        return queryset.filter(reason=self.value()) if self.value() else queryset


# The keys of a conflict's two sides (`stop_state` on the office's, the action as the phone sent it on the
# driver's), in the reader's language; a key not listed here is shown as it is.
STATE_LABELS = {
    "id": _("ID"),
    "status": _("status"),
    "version": _("version"),
    "sequence": _("stop number"),
    "cash_collected": _("cash collected"),
    "empties_collected": _("empties collected"),
    "completed_at": _("completed at"),
    "assigned_to_you": _("on this driver's route"),
    "notes": _("notes"),
    "seq": _("phone's action number"),
    "type": _("action"),
    "stop": _("stop"),
    "base_version": _("version the phone had"),
    "occurred_at": _("done on the phone at"),
    "payload": _("details"),
}
STATE_CHOICES: dict[str, type[models.TextChoices]] = {"status": StopStatus, "type": ActionType}


def _state_table(office: dict[str, Any], driver: dict[str, Any]) -> Any:
    keys = list(dict.fromkeys([*office, *driver]))

    def show(key: str, value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return str(_("Yes") if value else _("No"))
        if key in STATE_CHOICES and isinstance(value, str):
            return _label(STATE_CHOICES[key], value)
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    rows = format_html_join(
        "",
        "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
        ((STATE_LABELS.get(key, key), show(key, office.get(key)), show(key, driver.get(key))) for key in keys),
    )
    return format_html(
        "<table><thead><tr><th></th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
        _("Office (server)"),
        _("Driver (phone)"),
        rows,
    )


@admin.register(SyncConflict)
class SyncConflictAdmin(admin.ModelAdmin):
    """The manual-resolution queue: both sides side by side, resolved with one click."""

    list_display = (
        "created_at",
        "stop",
        "driver",
        "reason_label",
        "action_type",
        "status",
        "resolution",
        "resolved_by",
    )
    list_filter = ("status", ConflictReasonFilter, "resolution")
    search_fields = ("stop__order__customer__short_name", "action__device__driver__name")
    list_select_related = ("stop__route__driver", "action__device__driver", "resolved_by")
    fields = (
        "status",
        "reason_label",
        "stop",
        "driver",
        "both_sides",
        "resolve_buttons",
        "resolution",
        "resolution_note",
        "resolved_by",
        "resolved_at",
        "created_at",
    )
    readonly_fields = tuple(name for name in fields if name != "resolution_note")
    actions = ["keep_office", "apply_driver", "keep_all"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: SyncConflict | None = None) -> tuple[str, ...]:
        if obj is not None and obj.status == ConflictStatus.RESOLVED:
            return self.fields
        return self.readonly_fields

    @admin.display(description=_("driver"))
    def driver(self, conflict: SyncConflict) -> str:
        return str(conflict.action.device.driver)

    @admin.display(description=_("reason"), ordering="reason")
    def reason_label(self, conflict: SyncConflict) -> str:
        return _label(ConflictReason, conflict.reason)

    @admin.display(description=_("action"))
    def action_type(self, conflict: SyncConflict) -> str:
        return _label(ActionType, conflict.action.action_type)

    @admin.display(description=_("both sides"))
    def both_sides(self, conflict: SyncConflict) -> Any:
        return _state_table(conflict.server_state, conflict.client_state)

    @admin.display(description=_("resolve"))
    def resolve_buttons(self, conflict: SyncConflict) -> Any:
        if conflict.status != ConflictStatus.OPEN:
            return "—"
        url = reverse("admin:offline_sync_syncconflict_resolve", args=[conflict.pk])
        return format_html_join(
            " ",
            '<button type="submit" class="button" formaction="{}" name="resolution" value="{}">{}</button>',
            ((url, value, label) for value, label in ConflictResolution.choices),
        )

    def get_urls(self) -> list:
        return [
            path(
                "<int:conflict_id>/resolve/",
                self.admin_site.admin_view(self.resolve_view),
                name="offline_sync_syncconflict_resolve",
            ),
            *super().get_urls(),
        ]

    def resolve_view(self, request: HttpRequest, conflict_id: int) -> HttpResponseRedirect:
        return require_POST(self._resolve)(request, conflict_id)

    def _resolve(self, request: HttpRequest, conflict_id: int) -> HttpResponseRedirect:
        conflict = get_object_or_404(SyncConflict, pk=conflict_id)
        if not self.has_change_permission(request, conflict):
            raise PermissionDenied
        self._resolve_one(
            request,
            conflict,
            request.POST.get("resolution", ""),
            request.POST.get("resolution_note", ""),
        )
        return HttpResponseRedirect(reverse("admin:offline_sync_syncconflict_change", args=[conflict.pk]))

    def _resolve_one(self, request: HttpRequest, conflict: SyncConflict, resolution: str, note: str = "") -> bool:
        try:
            services.conflict_resolve(conflict=conflict, resolution=resolution, actor=request.user, note=note)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, f"{conflict}: {message}")
            return False
        self.log_change(request, conflict, f"resolved: {resolution}")
        messages.success(request, _("Conflict resolved: %(conflict)s") % {"conflict": conflict})
        return True

    def _resolve_many(self, request: HttpRequest, queryset: QuerySet[SyncConflict], resolution: str) -> None:
        for conflict in queryset.filter(status=ConflictStatus.OPEN).order_by("pk"):
            self._resolve_one(request, conflict, resolution)

    @admin.action(description=_("Keep the office's version"), permissions=["change"])
    def keep_office(self, request: HttpRequest, queryset: QuerySet[SyncConflict]) -> None:
        self._resolve_many(request, queryset, ConflictResolution.KEEP_OFFICE)

    @admin.action(description=_("Apply the driver's action"), permissions=["change"])
    def apply_driver(self, request: HttpRequest, queryset: QuerySet[SyncConflict]) -> None:
        self._resolve_many(request, queryset, ConflictResolution.APPLY_DRIVER)

    @admin.action(description=_("Keep both (notes and photos)"), permissions=["change"])
    def keep_all(self, request: HttpRequest, queryset: QuerySet[SyncConflict]) -> None:
        self._resolve_many(request, queryset, ConflictResolution.KEEP_ALL)


@admin.register(SyncAction)
class SyncActionAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "device",
        "seq",
        "action_type",
        "stop",
        "result",
        "occurred_at",
        "clock_offset_seconds",
        "flagged",
    )
    list_filter = ("result", "action_type", "device__driver", "device")
    search_fields = ("id", "device__driver__name")
    list_select_related = ("device__driver", "stop__route__driver")
    date_hierarchy = "received_at"
    readonly_fields = [field.name for field in SyncAction._meta.fields]

    @admin.display(description=_("clock flags"))
    def flagged(self, action: SyncAction) -> str:
        return ", ".join(action.clock_flags) or "—"


@admin.register(CashCollection)
class CashCollectionAdmin(ReadOnlyAdmin):
    """Cash drivers say they collected, to count in the office; never a payment by itself."""

    list_display = ("collected_at", "stop", "driver", "amount", "status", "reconciled_by", "reconciled_at")
    # The driver who holds the cash is the one whose phone reported it: the stop may have moved
    # to another driver's route since (route_stop_reassign).
    list_filter = ("status", "stop__route__date", "action__device__driver")
    list_select_related = ("stop__route__driver", "action__device__driver", "reconciled_by")
    actions = ["mark_reconciled", "mark_disputed"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super(ReadOnlyAdmin, self).has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in CashCollection._meta.fields]

    @admin.display(description=_("driver"))
    def driver(self, item: CashCollection) -> str:
        return str(item.action.device.driver)

    @admin.action(description=_("Mark reconciled (cash counted)"), permissions=["change"])
    def mark_reconciled(self, request: HttpRequest, queryset: QuerySet[CashCollection]) -> None:
        count = services.cash_collection_set_status(
            collections=queryset, status=CashStatus.RECONCILED, actor=request.user
        )
        messages.success(request, _("%(count)d cash collections reconciled.") % {"count": count})

    @admin.action(description=_("Mark disputed"), permissions=["change"])
    def mark_disputed(self, request: HttpRequest, queryset: QuerySet[CashCollection]) -> None:
        count = services.cash_collection_set_status(
            collections=queryset, status=CashStatus.DISPUTED, actor=request.user
        )
        messages.warning(request, _("%(count)d cash collections disputed.") % {"count": count})


class ProofPendingFilter(admin.SimpleListFilter):
    title = _("proof")
    parameter_name = "proof"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("pending", _("Pending upload")), ("uploaded", _("Uploaded"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[MediaUpload]) -> QuerySet[MediaUpload]:
        if self.value() == "pending":
            return queryset.filter(uploaded_at__isnull=True)
        if self.value() == "uploaded":
            return queryset.filter(uploaded_at__isnull=False)
        return queryset


@admin.register(MediaUpload)
class MediaUploadAdmin(ReadOnlyAdmin):
    list_display = ("stop", "stop_status", "kind", "proof", "uploaded_at", "width", "height")
    list_filter = (ProofPendingFilter, "kind")
    list_select_related = ("stop__route__driver",)
    readonly_fields = [field.name for field in MediaUpload._meta.fields]

    @admin.display(description=_("stop outcome"))
    def stop_status(self, media: MediaUpload) -> str:
        return media.stop.get_status_display()

    @admin.display(description=_("proof"))
    def proof(self, media: MediaUpload) -> Any:
        if not media.is_uploaded:
            return format_html('<strong style="color:#b45309">{}</strong>', _("pending upload"))
        url = reverse("admin:offline_sync_mediaupload_proof", args=[media.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("view"))

    def get_urls(self) -> list:
        proof = self.admin_site.admin_view(require_GET(self.proof_view))
        return [path("<uuid:media_id>/proof/", proof, name="offline_sync_mediaupload_proof"), *super().get_urls()]

    def proof_view(self, request: HttpRequest, media_id: str) -> FileResponse:
        """The photo or signature itself, to whoever may view its record: /media/ is served by nobody."""
        media = get_object_or_404(MediaUpload, pk=media_id, uploaded_at__isnull=False)
        if not self.has_view_permission(request, media):
            raise PermissionDenied
        try:
            handle = media.file.open("rb")
        except FileNotFoundError as missing:
            raise Http404(_("The file of this photo is missing from the media storage.")) from missing
        # The type is the one the upload's own bytes were recognised as (services.media), never the phone's word.
        return FileResponse(handle, content_type=media.content_type, filename=media.file.name.rsplit("/", 1)[-1])


@admin.register(StopNote)
class StopNoteAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "stop", "text", "stop_version")
    list_select_related = ("stop__route__driver",)
    search_fields = ("text",)


@admin.register(LocationPoint)
class LocationPointAdmin(ReadOnlyAdmin):
    list_display = ("recorded_at", "driver", "latitude", "longitude", "accuracy_m", "stop")
    list_filter = ("driver",)
    list_select_related = ("driver", "stop__route__driver")
    date_hierarchy = "recorded_at"


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "driver", "kind", "route", "stop")
    list_filter = ("kind", "driver")
    list_select_related = ("driver", "route__driver", "stop__route__driver")
