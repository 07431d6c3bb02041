"""SMS settings, read from the environment each time so tests and operators can change them.

Provider credentials and keys are secrets: they come from `NAME` or a file named by `NAME_FILE`.
A provider without credentials is simply not used.
"""

import datetime
import os
from dataclasses import dataclass

from django.conf import settings

from luckygas.settings import env_secret


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _time(name: str, default: str) -> datetime.time:
    hours, minutes = _str(name, default).split(":")
    return datetime.time(int(hours), int(minutes))


@dataclass(frozen=True)
class ProviderCredentials:
    base_url: str
    username: str
    password: str
    sender: str = ""

    @property
    def is_configured(self) -> bool:
        return bool(self.base_url and self.username and self.password)


def mitake_credentials() -> ProviderCredentials:
    return ProviderCredentials(
        base_url=_str("SMS_MITAKE_BASE_URL", "https://smsapi.mitake.com.tw"),
        username=env_secret("SMS_MITAKE_USERNAME", default="") or "",
        password=env_secret("SMS_MITAKE_PASSWORD", default="") or "",
    )


def every8d_credentials() -> ProviderCredentials:
    return ProviderCredentials(
        base_url=_str("SMS_EVERY8D_BASE_URL", "https://api.e8d.tw"),
        username=env_secret("SMS_EVERY8D_UID", default="") or "",
        password=env_secret("SMS_EVERY8D_PASSWORD", default="") or "",
    )


def twilio_credentials() -> ProviderCredentials:
    return ProviderCredentials(
        base_url=_str("SMS_TWILIO_BASE_URL", "https://api.twilio.com"),
        username=env_secret("SMS_TWILIO_ACCOUNT_SID", default="") or "",
        password=env_secret("SMS_TWILIO_AUTH_TOKEN", default="") or "",
        sender=_str("SMS_TWILIO_FROM"),
    )


def body_keys() -> list[str]:
    """Fernet keys for message bodies, newest first (comma-separated; older keys still decrypt)."""
    raw = env_secret("SMS_BODY_KEYS", default="") or ""
    return [key.strip() for key in raw.split(",") if key.strip()]


def callback_token() -> str:
    """The secret path segment of the Mitake and Every8d receipt URLs (they sign nothing)."""
    return env_secret("SMS_CALLBACK_TOKEN", default="") or ""


def callback_base_url() -> str:
    """Public base URL providers call back (e.g. https://office.luckygas.tw); empty = poll only."""
    return _str("SMS_CALLBACK_BASE_URL").rstrip("/")


def redis_url() -> str:
    return _str("SMS_REDIS_URL") or settings.REDIS_URL


def redis_prefix() -> str:
    return _str("SMS_REDIS_PREFIX", "sms")


def http_timeout_seconds() -> float:
    return float(_str("SMS_HTTP_TIMEOUT_SECONDS", "10"))


def system_limit_per_minute() -> int:
    return _int("SMS_SYSTEM_LIMIT_PER_MINUTE", 100)


def customer_limit_per_day() -> int:
    return _int("SMS_CUSTOMER_LIMIT_PER_DAY", 5)


def critical_receipt_timeout() -> datetime.timedelta:
    return datetime.timedelta(seconds=_int("SMS_CRITICAL_RECEIPT_TIMEOUT_SECONDS", 600))


def stuck_after() -> datetime.timedelta:
    """A queued message not picked up for this long is dispatched again."""
    return datetime.timedelta(seconds=_int("SMS_REDISPATCH_AFTER_SECONDS", 60))


def reconcile_interval_seconds() -> int:
    return _int("SMS_RECONCILE_INTERVAL_SECONDS", 30)


def marketing_window() -> tuple[datetime.time, datetime.time]:
    return _time("SMS_MARKETING_START", "09:00"), _time("SMS_MARKETING_END", "21:00")


def opted_out_allows_critical() -> bool:
    return _str("SMS_OPTED_OUT_ALLOWS_CRITICAL", "1") not in {"0", "false", "no"}


def callback_rate_per_minute() -> int:
    return _int("SMS_CALLBACK_RATE_PER_MINUTE", 600)


def company_name() -> str:
    return settings.LUCKYGAS_COMPANY_NAME


def marketing_opt_out_text() -> str:
    return _str("SMS_MARKETING_OPT_OUT_TEXT", "回覆退訂/STOP取消")
