"""The soak harness (issue #18) in 60 seconds: one fault of each kind, every invariant must hold.

Ten invariants: the phones' three, availability, SMS two, the dashboard, banking three (upload, returns, audit)."""

import subprocess
import sys

import pytest

from soak import faults
from tests.servers import ROOT


def test_schedule_injects_every_kind_the_asked_number_of_times_inside_the_run():
    plan = faults.schedule(1800, repeat=2, settle=60, seed=7)

    counts = {kind: sum(1 for fault in plan if fault.kind == kind) for kind in faults.ACTIONS}
    assert counts == {kind: 1 if kind in faults.ONCE else 2 for kind in faults.ACTIONS}
    moments = [fault.at for fault in plan]
    assert moments == sorted(moments)
    assert moments[0] >= 60
    assert moments[-1] <= 1800 - 60
    assert faults.schedule(1800, repeat=2, settle=60, seed=8) != plan  # jitter and order change with the seed


@pytest.mark.slow
@pytest.mark.timeout(660)  # the day's minute, the stack's start, and the waits for SMS, exports and returns to settle
def test_a_one_minute_day_with_one_fault_of_each_kind_keeps_every_invariant(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "soak",
            "--minutes",
            "1",
            "--drivers",
            "6",
            "--stops",
            "40",
            "--repeat",
            "1",
            "--notices",
            "120",
            "--sms-limit",
            "60",  # under the notices' pace (120 in 48 s): the limiter must hold some back
            "--managers",
            "3",
            "--bank-items",
            "100",
            "--clerks",
            "1",
            "--exporters",
            "1",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    report = result.stdout
    assert "FAILS" not in report, report
    assert report.count("holds:") == 15, report + result.stderr[-3000:]
    for kind in faults.ACTIONS:
        assert f" {kind}" in report.split("== faults ==")[1], f"{kind} was not injected:\n{report}"
    assert result.returncode == 0, report + result.stderr[-3000:]
    for kind in ("office-create", "office-cancel", "office-move", "office-resolve", "photo", "export-xlsx"):
        assert f"  {kind} " in report.split("== p95 latency")[1], f"no {kind} requests:\n{report}"
    assert (tmp_path / "timeline.png").stat().st_size > 0
    assert (tmp_path / "soak_stats.csv").read_text().count("\n") > 2
