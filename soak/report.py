"""Invariants from the database and the phones' logs, availability, latency per window, the timeline chart."""

import collections
import hashlib
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
        stops = sorted({action["stop"] for action in made.values()})
        stop_status = dict(
            connection.execute("SELECT id, status FROM delivery_routestop WHERE id = ANY(%s)", [stops]).fetchall()
        )
        cash = connection.execute(
            "SELECT coalesce(sum(c.amount), 0) FROM offline_sync_cashcollection c WHERE c.action_id = ANY(%s::uuid[])",
            [list(made)],
        ).fetchone()[0]
        # The office applied these drivers' actions later, resolving their conflicts (`apply_driver`).
        applied_later = {
            action_id
            for (action_id,) in connection.execute(
                "SELECT action_id::text FROM offline_sync_syncconflict "
                "WHERE status = 'resolved' AND resolution = 'apply_driver' AND action_id = ANY(%s::uuid[])",
                [list(made)],
            ).fetchall()
        }
    results = collections.Counter(result for _id, result in rows)
    sent = [action_id for action_id, action in made.items() if action["sent"]]
    stored = {action_id for action_id, _result in rows}
    missing = [action_id for action_id in sent if action_id not in stored]
    # A delivery the server took (at the push, or when the office resolved its conflict): its cash is on the books
    # and its stop is delivered for good, whatever the office did to the stop afterwards.
    taken = [
        action
        for action_id, action in made.items()
        if action["type"] == "complete"
        and action["sent"]
        and (action.get("result") == "applied" or action_id in applied_later)
    ]
    phone_cash = sum(action["payload"]["cash_collected"] for action in taken)
    regressed = sorted(action["stop"] for action in taken if stop_status.get(action["stop"]) != "delivered")
    statuses = collections.Counter(stop_status.values())
    phone_results = collections.Counter(action.get("result", "not acknowledged") for action in made.values())
    return [
        (
            "every phone action the server acknowledged is stored exactly once",
            not missing and len(rows) == len(stored) and total_rows == len(rows),
            f"{len(made)} made, {len(sent)} acknowledged, {len(unsent)} still queued on phones at the end, "
            f"{len(stored)} stored ({dict(results)}), {len(missing)} missing, {total_rows} rows in all, "
            f"{shared.resent} batches resent",
        ),
        (
            "no final status regressed (every delivery the server took is still delivered, office changes or not)",
            not regressed and set(statuses) <= {"delivered", "pending", "cancelled"},
            f"{len(taken)} deliveries taken ({len(applied_later)} by resolving a conflict), {len(regressed)} "
            f"not delivered now {regressed[:10]}; stop statuses {dict(statuses)}; the phones' answers "
            f"{dict(phone_results)}",
        ),
        (
            "cash totals equal the phones' sums",
            cash == phone_cash,
            f"server {cash} TWD, phones {phone_cash} TWD (deliveries the server took)",
        ),
        check_photos(database_url, shared),
    ]


def check_photos(database_url: str, shared: Shared) -> tuple[str, bool, str]:
    """Every photo a phone uploaded with an acknowledgement is in media storage once, with the phone's bytes."""
    declared = {photo["media_id"]: photo for photo in shared.photos}
    uploaded = [photo for photo in shared.photos if photo["uploaded"]]
    with psycopg.connect(database_url) as connection:
        rows = {
            media_id: (file, sha256, uploaded_at)
            for media_id, file, sha256, uploaded_at in connection.execute(
                "SELECT id::text, file, sha256, uploaded_at FROM offline_sync_mediaupload WHERE id = ANY(%s::uuid[])",
                [list(declared)],
            ).fetchall()
        }
        all_rows = connection.execute("SELECT count(*) FROM offline_sync_mediaupload").fetchone()[0]
    root = Path(shared.media_root)
    files: dict[str, list[Path]] = collections.defaultdict(list)
    for path in (root / "proof").rglob("*") if (root / "proof").exists() else []:
        if path.is_file():
            files[path.name.split(".", 1)[0].split("_", 1)[0]].append(path)
    lost, wrong, doubled = [], [], []
    for photo in uploaded:
        row = rows.get(photo["media_id"])
        if row is None or row[2] is None or not row[0] or not (root / row[0]).is_file():
            lost.append(photo["media_id"][:8])
            continue
        if hashlib.sha256((root / row[0]).read_bytes()).hexdigest() != photo["sha256"] or row[1] != photo["sha256"]:
            wrong.append(photo["media_id"][:8])
    doubled = [media_id[:8] for media_id, paths in files.items() if len(paths) > 1]
    strangers = [media_id[:8] for media_id in files if media_id not in declared]
    return (
        "photos: every photo a phone uploaded and got acknowledged is in media storage once, with its bytes",
        not lost and not wrong and not doubled and not strangers and all_rows == len(rows),
        f"{len(declared)} photos taken, {len(rows)} declared to the server, {len(uploaded)} uploaded and "
        f"acknowledged ({shared.photo_resent} uploaded twice), {sum(len(paths) for paths in files.values())} files "
        f"stored; {len(lost)} lost {lost[:5]}, {len(wrong)} with other bytes {wrong[:5]}, {len(doubled)} stored "
        f"twice {doubled[:5]}, {len(strangers)} files no phone sent",
    )


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


def server_errors(folder: Path, limit: int = 10) -> list[str]:
    """The 500s the web processes logged (path and the exception's last line), so a run explains its own 5xx
    without keeping the cluster's folder."""
    import json

    found: collections.Counter[str] = collections.Counter()
    for log in sorted(folder.glob("web*.log")) + sorted(folder.glob("websocket*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if "Internal Server Error" not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                found[line[:160]] += 1
                continue
            last = (entry.get("exc_info") or "").strip().splitlines()[-1:] or [""]
            found[f"{entry.get('message', '')[:70]} — {last[0][:150]}"] += 1
    return [f"{count:5d} × {text}" for text, count in found.most_common(limit)]
