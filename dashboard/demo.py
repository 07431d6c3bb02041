"""Demo data for the dashboard: rollups rebuilt from the seeded orders (seed_demo bypasses the events)."""

from typing import Any

from dashboard.live import mark_dirty
from dashboard.metrics import METRICS
from dashboard.services import rollup_rebuild


def seed_demo_data(*, password: str, stdout: Any) -> None:
    days = rollup_rebuild()
    mark_dirty(*METRICS)
    stdout.write(f"  dashboard: rebuilt {days:,} daily rollups")
