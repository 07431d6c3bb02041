"""Every write of the offline sync: devices, the push of driver actions, media, GPS, the change feed.

The push applies each action at most once: an action's UUID is its primary key, a resend with
the same body gets the stored first result back, and a batch runs in one transaction with the
device row locked, so two pushes of one device never interleave.

One module per concern; everything callers use is re-exported here (`from offline_sync import
services; services.sync_push(...)`).
"""

from offline_sync.services.actions import ActionInput, ActionRejectedError
from offline_sync.services.changes import (
    CHANGE_LOG_LOCK_KEY,
    PUSH_SOURCE,
    change_feed_record_orders,
    change_feed_record_stops,
    change_log_append,
    stop_assignments_record,
    stop_assignments_sync,
)
from offline_sync.services.conflicts import cash_collection_set_status, conflict_resolve
from offline_sync.services.devices import (
    DeviceLoginError,
    device_register,
    device_reinstate,
    device_revoke,
    device_set_push_subscription,
    device_token_hash,
)
from offline_sync.services.locations import PointInput, location_points_append
from offline_sync.services.media import MediaError, media_upload
from offline_sync.services.push import (
    ActionIdReusedError,
    DeviceRevokedError,
    PushResult,
    SeqGapError,
    action_body_hash,
    sync_push,
)

__all__ = [
    "CHANGE_LOG_LOCK_KEY",
    "PUSH_SOURCE",
    "ActionIdReusedError",
    "ActionInput",
    "ActionRejectedError",
    "DeviceLoginError",
    "DeviceRevokedError",
    "MediaError",
    "PointInput",
    "PushResult",
    "SeqGapError",
    "action_body_hash",
    "cash_collection_set_status",
    "change_feed_record_orders",
    "change_feed_record_stops",
    "change_log_append",
    "conflict_resolve",
    "device_register",
    "device_reinstate",
    "device_revoke",
    "device_set_push_subscription",
    "device_token_hash",
    "location_points_append",
    "media_upload",
    "stop_assignments_record",
    "stop_assignments_sync",
    "sync_push",
]
