"""Fixed limits of the driver sync protocol (not configuration: the phone app is built against them).

The configurable policy (purge, storage budget, GPS intervals, media size, lock timeout, Web Push
keys) is in django.conf.settings: `SYNC_*` and `WEBPUSH_*`, declared in luckygas/configuration.
"""

# Actions per push batch.
BATCH_SIZE = 10
# An event more than this far ahead of the server clock is flagged for the dispatcher.
FUTURE_TOLERANCE_SECONDS = 300
MAX_LOCATION_POINTS = 500
MAX_CHANGES_PER_PAGE = 200

MEDIA_MAX_LONG_SIDE = 800
MEDIA_MAX_SHORT_SIDE = 600
MEDIA_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
