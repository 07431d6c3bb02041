"""Prometheus metrics of the driver sync, served on /metrics (see luckygas/metrics.py).

`luckygas_driver_sync_lag_seconds` is the histogram the LuckyGasDriverSyncLag alert reads
(deploy/base/monitoring.yaml): for every new action a push brings, how long after it happened on the
street (the phone's time, corrected by its clock offset) the office got it. Observed after
the push commits, so a rolled-back push counts nothing and a resent duplicate counts once.
"""

from collections.abc import Iterable

from prometheus_client import Histogram

SYNC_LAG = Histogram(
    "luckygas_driver_sync_lag_seconds",
    "Delay between a driver's action on the phone and its arrival at the office.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400),
)


def observe_sync_lag(lags: Iterable[float]) -> None:
    for lag in lags:
        SYNC_LAG.observe(max(0.0, lag))
