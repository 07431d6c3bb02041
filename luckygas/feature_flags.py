"""Feature flags changeable at runtime, without a deploy (django-waffle, edited in admin).

- `sms_marketing`, a switch (everyone at once). Off: only service SMS (delivery notices,
  reminders) are sent; marketing messages are held in the outbox (listed in admin with the
  deferred reason "marketing switched off", looked at again every 5 minutes) and go out once
  it is on. On: marketing campaigns may send too.
- `driver_app_beta`, a flag (per user, group or percentage). Off: drivers get the released
  driver app. On: the drivers it covers get the new driver-app features.

Both are created off by migration `delivery.0003_feature_flags`. Admin → Waffle → Switches /
Flags changes them; the change applies to the next request or task (waffle caches in Redis).
"""

from django.http import HttpRequest

SMS_MARKETING = "sms_marketing"
DRIVER_APP_BETA = "driver_app_beta"


def sms_marketing_is_enabled() -> bool:
    """Checked by the SMS app before it sends any marketing message (also from Celery tasks)."""
    import waffle

    return waffle.switch_is_active(SMS_MARKETING)


def driver_app_beta_is_enabled(request: HttpRequest) -> bool:
    """True for the drivers the `driver_app_beta` flag covers (by user, group or percentage)."""
    import waffle

    return waffle.flag_is_active(request, DRIVER_APP_BETA)
