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


def sftp_lease_seconds() -> float:
    """How long a session slot outlives a holder that stopped renewing it (a crashed worker)."""
    return env.float("BANKING_SFTP_LEASE_SECONDS", default=60.0)


def sftp_idle_seconds() -> float:
    """How long an idle session stays open (holding its slot) for reuse."""
    return env.float("BANKING_SFTP_IDLE_SECONDS", default=5.0)


def sftp_slot_wait_seconds() -> float:
    """How long a borrower waits for one of the bank's session slots before giving up."""
    return env.float("BANKING_SFTP_SLOT_WAIT_SECONDS", default=120.0)
