"""Plain helpers shared by every app's tests (fixtures live in tests/conftest.py)."""

import datetime
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


def taipei(*args: int) -> datetime.datetime:
    """An aware Asia/Taipei datetime: `taipei(2026, 8, 4, 22, 0)`."""
    return datetime.datetime(*args, tzinfo=TAIPEI)


class ManualClock:
    """A clock that moves only when the test says so: pass `clock` where code takes `time.time`."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
