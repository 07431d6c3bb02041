"""Render the kustomize overlays with the real `kubectl kustomize` and load the result."""

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = ("staging", "production", "istio")
RENDERED = ROOT / "build" / "deploy"
# The cluster's minor version (GKE), the one kubernetes-validate checks against; kubectl here
# (1.32) is within the supported skew of it.
KUBERNETES_VERSION = "1.33.0"
WORKLOAD_KINDS = ("Deployment", "Rollout", "Job", "StatefulSet", "DaemonSet", "CronJob")


@dataclass(frozen=True)
class Rendered:
    overlay: str
    path: Path
    documents: tuple[dict[str, Any], ...]

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        return [doc for doc in self.documents if doc["kind"] in kinds]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        matches = [doc for doc in self.of_kind(kind) if doc["metadata"]["name"] == name]
        assert len(matches) == 1, f"{self.overlay}: expected one {kind} {name}, found {len(matches)}"
        return matches[0]


def run(command: list[str], *, timeout: int = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a tool and return its result with stdout and stderr captured as text."""
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env, check=False)


def describe(result: subprocess.CompletedProcess) -> str:
    return f"$ {' '.join(map(str, result.args))}\nexit {result.returncode}\n{result.stdout}\n{result.stderr}"


def kubectl() -> str:
    path = shutil.which("kubectl")
    assert path, "kubectl (with its built-in kustomize) is required by the deployment checks"
    return path


@cache
def render(overlay: str) -> Rendered:
    result = run([kubectl(), "kustomize", str(DEPLOY / "overlays" / overlay)])
    assert result.returncode == 0, describe(result)
    RENDERED.mkdir(parents=True, exist_ok=True)
    path = RENDERED / f"{overlay}.yaml"
    path.write_text(result.stdout, encoding="utf-8")
    documents = tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)
    return Rendered(overlay=overlay, path=path, documents=documents)


def pod_spec(workload: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec of a workload (None for a Rollout that borrows a Deployment's template)."""
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    if "template" not in spec:
        return None
    return spec["template"]["spec"]


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    spec = workload["spec"]
    template = spec["jobTemplate"]["spec"]["template"] if workload["kind"] == "CronJob" else spec["template"]
    return template["metadata"].get("labels", {})


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True
