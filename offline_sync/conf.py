"""Offline sync settings, read from the environment."""

from luckygas.settings import env, env_secret

# The client policy a phone receives at bootstrap.
BATCH_SIZE = 10
PURGE_AFTER_DAYS = env.int("SYNC_PURGE_AFTER_DAYS", default=7)
STORAGE_BUDGET_MB = env.int("SYNC_STORAGE_BUDGET_MB", default=50)
GPS_INTERVAL_ONLINE_SECONDS = env.int("SYNC_GPS_INTERVAL_ONLINE_SECONDS", default=30)
GPS_INTERVAL_OFFLINE_SECONDS = env.int("SYNC_GPS_INTERVAL_OFFLINE_SECONDS", default=30)

# An event more than this far ahead of the server clock is flagged for the dispatcher.
FUTURE_TOLERANCE_SECONDS = 300
MAX_LOCATION_POINTS = 500
MAX_CHANGES_PER_PAGE = 200

MEDIA_MAX_BYTES = env.int("SYNC_MEDIA_MAX_BYTES", default=2 * 1024 * 1024)
MEDIA_MAX_LONG_SIDE = 800
MEDIA_MAX_SHORT_SIDE = 600
MEDIA_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

# Web Push is skipped unless both VAPID keys are configured.
VAPID_PRIVATE_KEY = env_secret("WEBPUSH_VAPID_PRIVATE_KEY", default="") or ""
VAPID_PUBLIC_KEY = env.str("WEBPUSH_VAPID_PUBLIC_KEY", default="")
VAPID_SUBJECT = env.str("WEBPUSH_VAPID_SUBJECT", default="mailto:it@luckygas.tw")


def web_push_enabled() -> bool:
    return bool(VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY)


# A push waits at most this long for its locks (another push of the device, an office edit of
# its stops); then it is answered 503 with Retry-After and nothing applied, and the phone resends.
PUSH_LOCK_TIMEOUT_MS = env.int("SYNC_PUSH_LOCK_TIMEOUT_MS", default=10_000)
