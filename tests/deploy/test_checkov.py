"""Step 5: checkov's Kubernetes policies pass on the rendered output, with zero failures.

checkov runs from its own venv (`make deploy-tools`), offline. Skipped checks are listed with
their reasons in deploy/checkov-skips.yaml, and nowhere else.
"""

import copy
import json
import os

import yaml

from tests.deploy.rendering import DEPLOY, OVERLAYS, ROOT, describe, render, run

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
SKIPS = yaml.safe_load((DEPLOY / "checkov-skips.yaml").read_text(encoding="utf-8"))
# No call to Prisma Cloud for its guideline mappings: CI is offline.
OFFLINE = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}


def _checkov(*paths: str, skip: bool = True) -> dict:
    assert CHECKOV.exists(), "checkov is missing: run `make deploy-tools`"
    command = [str(CHECKOV), "--framework", "kubernetes", "--skip-download", "--output", "json", "--compact"]
    if skip:
        command += ["--skip-check", ",".join(SKIPS)]
    for path in paths:
        command += ["--file", path]
    result = run(command, timeout=600, env=OFFLINE)
    assert result.returncode in (0, 1), describe(result)
    reports = json.loads(result.stdout)
    return reports[0] if isinstance(reports, list) else reports


def test_every_skipped_check_has_a_reason():
    assert SKIPS
    for check_id, entry in SKIPS.items():
        assert check_id.startswith(("CKV_K8S_", "CKV2_K8S_"))
        assert len(entry["reason"]) > 40, check_id


def test_checkov_finds_no_failure_in_any_overlay():
    paths = [str(render(overlay).path) for overlay in OVERLAYS]
    report = _checkov(*paths)
    failed = [
        f"{check['check_id']} {check['check_name']}: {check['resource']} ({check['file_path']})"
        for check in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert report["summary"]["passed"] > 500
    assert report["summary"]["parsing_errors"] == 0


def test_checkov_fails_a_pod_that_runs_as_root(tmp_path):
    # given the web Deployment, hardened, with its container-level hardening removed
    web = copy.deepcopy(render("staging").get("Deployment", "luckygas-web"))
    web["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"allowPrivilegeEscalation": True}
    manifest = tmp_path / "web.yaml"
    manifest.write_text(yaml.safe_dump(web), encoding="utf-8")
    # when
    report = _checkov(str(manifest))
    # then the checks this deployment relies on do fire
    failed_ids = {check["check_id"] for check in report["results"]["failed_checks"]}
    assert {"CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_28"} <= failed_ids
