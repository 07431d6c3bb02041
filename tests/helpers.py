"""Plain helpers shared by every app's tests (fixtures live in tests/conftest.py)."""

import datetime
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


def taipei(*args: int) -> datetime.datetime:
    """An aware Asia/Taipei datetime: `taipei(2026, 8, 4, 22, 0)`."""
    return datetime.datetime(*args, tzinfo=TAIPEI)
