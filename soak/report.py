"""Invariants from the database and the phones' logs, availability, latency per window, the timeline chart."""

import collections
from pathlib import Path

import psycopg

from soak.drivers import Shared
from soak.faults import Fault

FAULT_TAIL = 30.0  # seconds after a fault counted as "during" it (recovery)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else float("nan")


def check_invariants(database_url: str, shared: Shared) -> list[tuple[str, bool, str]]:
    made = {action["id"]: action for log in shared.logs.values() for action in log}
    unsent = [action_id for action_id, action in made.items() if not action["sent"]]
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT id::text, result FROM offline_sync_syncaction WHERE id = ANY(%s::uuid[])", [list(made)]
        ).fetchall()
        total_rows = connection.execute("SELECT count(*) FROM offline_sync_syncaction").fetchone()[0]
        stops = [action["stop"] for action in made.values()]
        statuses = collections.Counter(
            status
            for (status,) in connection.execute(
                "SELECT status FROM delivery_routestop WHERE id = ANY(%s)", [stops]
            ).fetchall()
        )
        cash = connection.execute(
            "SELECT coalesce(sum(c.amount), 0) FROM offline_sync_cashcollection c WHERE c.action_id = ANY(%s::uuid[])",
            [list(made)],
        ).fetchone()[0]
    results = collections.Counter(result for _id, result in rows)
    sent = [action_id for action_id, action in made.items() if action["sent"]]
    stored = {action_id for action_id, _result in rows}
    missing = [action_id for action_id in sent if action_id not in stored]
    phone_cash = sum(action["payload"]["cash_collected"] for action in made.values() if action["sent"])
    return [
        (
            "every phone action the server acknowledged is stored exactly once",
            not missing and len(rows) == len(stored) and total_rows == len(rows),
            f"{len(made)} made, {len(sent)} acknowledged, {len(unsent)} still queued on phones at the end, "
            f"{len(stored)} stored ({dict(results)}), {len(missing)} missing, {total_rows} rows in all, "
            f"{shared.resent} batches resent",
        ),
        (
            "no final status regressed (every delivered stop is still delivered)",
            statuses.get("delivered", 0) >= len(sent) and set(statuses) <= {"delivered", "pending"},
            f"stop statuses {dict(statuses)}",
        ),
        (
            "cash totals equal the phones' sums",
            cash == phone_cash,
            f"server {cash} TWD, phones {phone_cash} TWD",
        ),
    ]


def availability(shared: Shared) -> tuple[float, int, int]:
    total = len(shared.requests)
    ok = sum(1 for request in shared.requests if request.ok)
    return (ok / total if total else 0.0), ok, total


def latency_table(shared: Shared, faults: list[Fault]) -> list[tuple[str, str, int, float]]:
    """p95 (ms) per request type: quiet periods, and during each fault (its start to FAULT_TAIL after)."""

    def window(request) -> str:
        for fault in faults:
            if fault.started and fault.started <= request.started <= fault.ended + FAULT_TAIL:
                return fault.kind
        return "quiet"

    grouped: dict[tuple[str, str], list[float]] = collections.defaultdict(list)
    for request in shared.requests:
        grouped[(request.kind, window(request))].append((request.ended - request.started) * 1000)
    return [(kind, where, len(values), percentile(values, 0.95)) for (kind, where), values in sorted(grouped.items())]


def chart(shared: Shared, faults: list[Fault], started: float, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    seconds = collections.Counter(int(request.started - started) for request in shared.requests)
    errors = collections.Counter(int(moment - started) for moment, *_rest in shared.errors)
    horizon = max([*seconds, *errors, 1]) + 1
    xs = list(range(horizon))
    rate = [errors[x] / max(1, seconds[x] + errors[x]) * 100 for x in xs]
    figure, axis = pyplot.subplots(figsize=(12, 4))
    axis.plot(xs, rate, color="tab:red", linewidth=0.8, label="failed attempts % (before retry)")
    axis.set_xlabel("seconds since start")
    axis.set_ylabel("failed attempts %")
    for fault in faults:
        if fault.started:
            axis.axvspan(fault.started - started, fault.ended - started, color="tab:blue", alpha=0.2)
            axis.text(fault.started - started, 102, fault.kind, rotation=60, fontsize=7)
    axis.set_ylim(0, 110)
    axis.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path
