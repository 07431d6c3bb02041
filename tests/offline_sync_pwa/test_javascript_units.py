"""Runs the driver app's JavaScript unit tests (node's test runner, fake-indexeddb, Web Crypto)."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "offline_sync" / "static" / "offline_sync" / "tests"


def test_javascript_unit_tests_pass() -> None:
    node = shutil.which("node")
    assert node, "node is missing: the driver app's unit tests need Node.js"
    assert (ROOT / "node_modules" / "fake-indexeddb").exists(), "run `make assets` (npm ci) first"
    files = sorted(str(path.relative_to(ROOT)) for path in TESTS.glob("*.test.mjs"))
    assert len(files) >= 4, files
    setup = "./offline_sync/static/offline_sync/tests/setup.mjs"
    result = subprocess.run(
        [node, "--import", setup, "--test", "--test-timeout=20000", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    summary = [line for line in result.stdout.splitlines() if line.startswith(("# pass", "# fail"))]
    assert result.returncode == 0, f"node --test failed:\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}"
    assert "# fail 0" in summary, summary
