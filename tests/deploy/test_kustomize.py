"""Step 2: every overlay renders with `kubectl kustomize`."""

import pytest

from tests.deploy.rendering import OVERLAYS, render


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders(overlay):
    rendered = render(overlay)
    kinds = {doc["kind"] for doc in rendered.documents}
    assert {"Namespace", "Deployment", "Job", "Service", "Ingress", "NetworkPolicy", "ExternalSecret"} <= kinds
    assert all(
        doc["metadata"].get("namespace") == "luckygas"
        for doc in rendered.documents
        if doc["kind"] not in ("Namespace", "ClusterSecretStore")
    )


def test_production_renders_the_canary_and_its_analysis():
    rendered = render("production")
    rollout = rendered.get("Rollout", "luckygas-web")
    assert rollout["spec"]["workloadRef"]["name"] == "luckygas-web"
    assert rendered.get("AnalysisTemplate", "luckygas-web-5xx-ratio")
    assert rendered.get("HorizontalPodAutoscaler", "luckygas-web")["spec"]["scaleTargetRef"]["kind"] == "Rollout"
