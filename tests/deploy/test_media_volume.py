"""Delivery photos, signatures and exports (MEDIA_ROOT) live on one shared volume, never in a pod.

A pod's own filesystem goes when the pod restarts and is not seen by the other replicas: a driver's
photo written there is lost. Every Deployment that reads or writes media mounts the ReadWriteMany
claim `luckygas-media` at DJANGO_MEDIA_ROOT.
"""

from pathlib import PurePosixPath
from typing import Any

import pytest

from dashboard.tasks import export_run
from tests.deploy.rendering import DEPLOY, OVERLAYS, pod_spec, render

CLAIM = "luckygas-media"


def _media_root(overlay: str) -> str:
    configs = [
        doc for doc in render(overlay).of_kind("ConfigMap") if doc["metadata"]["name"].startswith("luckygas-config")
    ]
    assert len(configs) == 1, [doc["metadata"]["name"] for doc in configs]
    return configs[0]["data"]["DJANGO_MEDIA_ROOT"]


def _env(container: dict[str, Any], name: str) -> str | None:
    return next((item.get("value") for item in container.get("env", []) if item["name"] == name), None)


def _uses_media(container: dict[str, Any]) -> bool:
    """Web serves uploads and downloads; a worker that consumes the exports queue writes exports."""
    if container.get("args") in (["web"], ["websocket"]):
        return True
    queues = (_env(container, "CELERY_QUEUES") or "").split(",")
    return container.get("args") == ["worker"] and export_run.queue in queues


def _media_deployments(overlay: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    found = []
    for deployment in render(overlay).of_kind("Deployment"):
        for container in pod_spec(deployment)["containers"]:
            if _uses_media(container):
                found.append((deployment, container))
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_media_root_is_not_in_the_pod_s_scratch_space(overlay):
    root = PurePosixPath(_media_root(overlay))
    assert root.is_absolute()
    assert not root.is_relative_to("/tmp"), root  # noqa: S108 (the path checked, not one used)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_media_claim_is_shared_by_every_replica(overlay):
    claim = render(overlay).get("PersistentVolumeClaim", CLAIM)
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["storageClassName"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_that_reads_or_writes_media_mounts_the_claim_at_the_media_root(overlay):
    root = _media_root(overlay)
    found = _media_deployments(overlay)
    names = {deployment["metadata"]["name"] for deployment, _ in found}
    assert {"luckygas-web", "luckygas-web-websocket", "luckygas-worker-banking"} <= names, names
    for deployment, container in found:
        where = f"{deployment['metadata']['name']}/{container['name']}"
        claims = {
            volume["name"]: volume["persistentVolumeClaim"]["claimName"]
            for volume in pod_spec(deployment)["volumes"]
            if "persistentVolumeClaim" in volume
        }
        mounts = [mount for mount in container["volumeMounts"] if mount["mountPath"] == root]
        assert len(mounts) == 1, f"{where}: nothing mounted at {root}"
        assert claims.get(mounts[0]["name"]) == CLAIM, f"{where}: {root} is not on {CLAIM}"
        assert not mounts[0].get("readOnly"), where
        assert _env(container, "DJANGO_MEDIA_ROOT") in (None, root), where


def test_the_istio_overlay_s_driver_web_tier_mounts_it_too():
    names = {deployment["metadata"]["name"] for deployment, _ in _media_deployments("istio")}
    assert "luckygas-web-driver" in names


def test_the_image_s_default_media_root_is_the_same_path():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert f"DJANGO_MEDIA_ROOT={_media_root('production')}\n" in dockerfile
