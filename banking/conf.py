"""Banking settings, read from the environment (see README's operations section)."""

import environ

env = environ.Env()


def breaker_cooldown_seconds() -> float:
    return env.float("BANKING_BREAKER_COOLDOWN_SECONDS", default=300.0)


def transport_max_attempts() -> int:
    return env.int("BANKING_TRANSPORT_MAX_ATTEMPTS", default=4)


def transport_backoff_seconds() -> float:
    return env.float("BANKING_TRANSPORT_BACKOFF_SECONDS", default=2.0)


def finance_emails() -> list[str]:
    return env.list("BANKING_FINANCE_EMAILS", default=[])
