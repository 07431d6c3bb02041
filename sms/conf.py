"""SMS settings: a read-through to django.conf.settings, read at each call (settings overrides apply).

Every variable is declared in luckygas/configuration and read once by luckygas/settings.py into
the setting of the same name; nothing here reads the environment. The mapping:

    mitake_credentials()           SMS_MITAKE_BASE_URL, SMS_MITAKE_USERNAME, SMS_MITAKE_PASSWORD
    every8d_credentials()          SMS_EVERY8D_BASE_URL, SMS_EVERY8D_UID, SMS_EVERY8D_PASSWORD
    twilio_credentials()           SMS_TWILIO_BASE_URL, SMS_TWILIO_ACCOUNT_SID, SMS_TWILIO_AUTH_TOKEN, SMS_TWILIO_FROM
    body_keys()                    SMS_BODY_KEYS (comma-separated, newest first)
    callback_token()               SMS_CALLBACK_TOKEN
    callback_base_url()            SMS_CALLBACK_BASE_URL (without a trailing slash)
    redis_url()                    SMS_REDIS_URL, else REDIS_URL
    redis_prefix()                 SMS_REDIS_PREFIX
    http_timeout_seconds()         SMS_HTTP_TIMEOUT_SECONDS
    system_limit_per_minute()      SMS_SYSTEM_LIMIT_PER_MINUTE
    customer_limit_per_day()       SMS_CUSTOMER_LIMIT_PER_DAY
    critical_receipt_timeout()     SMS_CRITICAL_RECEIPT_TIMEOUT_SECONDS (a timedelta)
    stuck_after()                  SMS_REDISPATCH_AFTER_SECONDS (a timedelta)
    reconcile_interval_seconds()   SMS_RECONCILE_INTERVAL_SECONDS
    marketing_window()             SMS_MARKETING_START, SMS_MARKETING_END
    opted_out_allows_critical()    SMS_OPTED_OUT_ALLOWS_CRITICAL
    callback_rate_per_minute()     SMS_CALLBACK_RATE_PER_MINUTE
    company_name()                 LUCKYGAS_COMPANY_NAME
    marketing_opt_out_text()       SMS_MARKETING_OPT_OUT_TEXT

Provider credentials and keys are secrets (`NAME` or a file named by `NAME_FILE`). A provider
without credentials is simply not used.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings


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
        base_url=settings.SMS_MITAKE_BASE_URL,
        username=settings.SMS_MITAKE_USERNAME,
        password=settings.SMS_MITAKE_PASSWORD,
    )


def every8d_credentials() -> ProviderCredentials:
    return ProviderCredentials(
        base_url=settings.SMS_EVERY8D_BASE_URL,
        username=settings.SMS_EVERY8D_UID,
        password=settings.SMS_EVERY8D_PASSWORD,
    )


def twilio_credentials() -> ProviderCredentials:
    return ProviderCredentials(
        base_url=settings.SMS_TWILIO_BASE_URL,
        username=settings.SMS_TWILIO_ACCOUNT_SID,
        password=settings.SMS_TWILIO_AUTH_TOKEN,
        sender=settings.SMS_TWILIO_FROM,
    )


def body_keys() -> list[str]:
    """Fernet keys for message bodies, newest first (comma-separated; older keys still decrypt)."""
    return [key.strip() for key in settings.SMS_BODY_KEYS.split(",") if key.strip()]


def callback_token() -> str:
    """The secret path segment of the Mitake and Every8d receipt URLs (they sign nothing)."""
    return settings.SMS_CALLBACK_TOKEN


def callback_base_url() -> str:
    """Public base URL providers call back (e.g. https://office.luckygas.tw); empty = poll only."""
    return settings.SMS_CALLBACK_BASE_URL.rstrip("/")


def redis_url() -> str:
    return settings.SMS_REDIS_URL or settings.REDIS_URL


def redis_prefix() -> str:
    return settings.SMS_REDIS_PREFIX


def http_timeout_seconds() -> float:
    return settings.SMS_HTTP_TIMEOUT_SECONDS


def system_limit_per_minute() -> int:
    return settings.SMS_SYSTEM_LIMIT_PER_MINUTE


def customer_limit_per_day() -> int:
    return settings.SMS_CUSTOMER_LIMIT_PER_DAY


def critical_receipt_timeout() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.SMS_CRITICAL_RECEIPT_TIMEOUT_SECONDS)


def stuck_after() -> datetime.timedelta:
    """A queued message not picked up for this long is dispatched again."""
    return datetime.timedelta(seconds=settings.SMS_REDISPATCH_AFTER_SECONDS)


def reconcile_interval_seconds() -> int:
    return settings.SMS_RECONCILE_INTERVAL_SECONDS


def marketing_window() -> tuple[datetime.time, datetime.time]:
    return settings.SMS_MARKETING_START, settings.SMS_MARKETING_END


def opted_out_allows_critical() -> bool:
    return settings.SMS_OPTED_OUT_ALLOWS_CRITICAL


def callback_rate_per_minute() -> int:
    return settings.SMS_CALLBACK_RATE_PER_MINUTE


def company_name() -> str:
    return settings.LUCKYGAS_COMPANY_NAME


def marketing_opt_out_text() -> str:
    return settings.SMS_MARKETING_OPT_OUT_TEXT
