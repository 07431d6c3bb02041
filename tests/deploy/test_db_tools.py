"""The db-tools pod of the backup and restore procedure (deploy/tools/db-tools.yaml).

It is applied by hand, outside the overlays, so the checks the overlays get are made here: it
validates strictly, checkov finds nothing beside the production overlay (whose NetworkPolicies
cover it), it is hardened for the namespace's Pod Security `restricted`, and it can reach the
database and read its URL.
"""

from typing import Any

import yaml

from tests.deploy.rendering import DEPLOY, KUBERNETES_VERSION, describe, render, run, selector_matches
from tests.deploy.test_checkov import _checkov
from tests.deploy.test_kubernetes_validate import VALIDATE

DB_TOOLS = DEPLOY / "tools" / "db-tools.yaml"


def _pod() -> dict[str, Any]:
    (pod,) = [doc for doc in yaml.safe_load_all(DB_TOOLS.read_text(encoding="utf-8")) if doc]
    return pod


def test_the_db_tools_pod_validates_strictly():
    result = run([VALIDATE, "--strict", "--kubernetes-version", KUBERNETES_VERSION, "--quiet", str(DB_TOOLS)])
    assert result.returncode == 0, describe(result)


def test_checkov_finds_no_failure_in_the_db_tools_pod():
    report = _checkov(str(DB_TOOLS), str(render("production").path))
    failed = [f"{check['check_id']} {check['resource']}" for check in report["results"]["failed_checks"]]
    assert failed == []


def test_the_db_tools_pod_is_hardened_and_goes_away_by_itself():
    spec = _pod()["spec"]
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] >= 10000
    assert spec["activeDeadlineSeconds"] <= 24 * 3600
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}


def test_the_db_tools_pod_may_reach_the_database_and_read_its_url():
    pod = _pod()
    rendered = render("production")
    # given the NetworkPolicy that lets the app's pods reach Cloud SQL
    policy = rendered.get("NetworkPolicy", "postgres-egress")
    # then the pod is in the namespace that policy protects and matches its selector
    assert pod["metadata"]["namespace"] == policy["metadata"]["namespace"]
    assert selector_matches(policy["spec"]["podSelector"], pod["metadata"]["labels"])
    # and the key it mounts is one the ExternalSecret writes into the same Secret
    external = rendered.get("ExternalSecret", "luckygas")
    keys = {item["secretKey"] for item in external["spec"]["data"]}
    (volume,) = [volume for volume in pod["spec"]["volumes"] if "secret" in volume]
    assert volume["secret"]["secretName"] == external["spec"]["target"]["name"]
    assert {item["key"] for item in volume["secret"]["items"]} == {"DATABASE_URL"} <= keys
