"""Step 3: the rendered built-in resources validate strictly against the cluster's version.

kubernetes-validate ships the OpenAPI schemas of every Kubernetes version; custom resources
(which it cannot know) are validated by test_custom_resources.py against deploy/schemas/.
"""

import re

import pytest

from tests.deploy.rendering import KUBERNETES_VERSION, OVERLAYS, ROOT, describe, render, run
from tests.deploy.test_custom_resources import SCHEMAS

VALIDATE = str(ROOT / ".venv" / "bin" / "kubernetes-validate")
UNKNOWN_KIND = re.compile(r"Couldn't find schema for kind (\w+) with api version (\S+) ")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_overlay_validates_strictly(overlay):
    rendered = render(overlay)
    result = run([VALIDATE, "--strict", "--kubernetes-version", KUBERNETES_VERSION, "--quiet", str(rendered.path)])
    assert result.returncode == 0, describe(result)
    # Every kind it could not check is a custom resource whose schema this repo keeps.
    skipped = {(api_version, kind) for kind, api_version in UNKNOWN_KIND.findall(result.stdout + result.stderr)}
    assert skipped <= set(SCHEMAS), f"no schema anywhere for {skipped - set(SCHEMAS)}"
    assert skipped == {
        (doc["apiVersion"], doc["kind"])
        for doc in rendered.documents
        if "." in doc["apiVersion"] and not doc["apiVersion"].split("/")[0].endswith(".k8s.io")
    }


def test_a_misspelled_field_fails_strict_validation(tmp_path):
    # given a Deployment with `replica` instead of `replicas`
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replica: 2\n"
        "  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n      labels: {app: x}\n"
        "    spec:\n      containers:\n        - name: x\n          image: x:1\n",
        encoding="utf-8",
    )
    # when
    result = run([VALIDATE, "--strict", "--kubernetes-version", KUBERNETES_VERSION, "--quiet", str(manifest)])
    # then
    assert result.returncode != 0
    assert "replica" in result.stdout + result.stderr
