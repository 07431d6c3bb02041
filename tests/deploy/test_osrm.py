"""The optional OSRM component (deploy/optional/osrm), rendered into staging as an overlay enabling it would:
kustomize builds it, kubernetes-validate and checkov pass, and the app can reach it and nothing else can."""

from functools import cache

import yaml

from tests.deploy.rendering import DEPLOY, KUBERNETES_VERSION, RENDERED, Rendered, describe, kubectl, render, run
from tests.deploy.test_checkov import _checkov
from tests.deploy.test_kubernetes_validate import VALIDATE

EXAMPLE = DEPLOY / "optional" / "examples" / "staging-with-osrm"


@cache
def render_with_osrm() -> Rendered:
    result = run([kubectl(), "kustomize", str(EXAMPLE)])
    assert result.returncode == 0, describe(result)
    RENDERED.mkdir(parents=True, exist_ok=True)
    path = RENDERED / "staging-with-osrm.yaml"
    path.write_text(result.stdout, encoding="utf-8")
    documents = tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)
    return Rendered(overlay="staging-with-osrm", path=path, documents=documents)


def test_the_component_adds_osrm_and_points_the_planner_at_it():
    rendered = render_with_osrm()
    staging = render("staging")
    added = {(doc["kind"], doc["metadata"]["name"]) for doc in rendered.documents} - {
        (doc["kind"], doc["metadata"]["name"]) for doc in staging.documents
    }
    config_maps = {doc["metadata"]["name"] for doc in rendered.of_kind("ConfigMap")}
    # the config map's hashed name changes with its new key; everything else added is OSRM's
    assert {item for item in added if item[0] != "ConfigMap"} == {
        ("Deployment", "luckygas-osrm"),
        ("Service", "luckygas-osrm"),
        ("PersistentVolumeClaim", "luckygas-osrm-data"),
        ("NetworkPolicy", "osrm-ingress"),
        ("NetworkPolicy", "osrm-client-egress"),
        ("NetworkPolicy", "osrm-download-egress"),
    }
    config = next(doc for doc in rendered.of_kind("ConfigMap") if doc["metadata"]["name"].startswith("luckygas-config"))
    assert config["data"]["ROUTING_OSRM_URL"] == "http://luckygas-osrm:5000"
    assert config_maps
    for doc in rendered.documents:
        if "osrm" in doc["metadata"]["name"]:
            assert doc["metadata"]["namespace"] == "luckygas", doc["metadata"]["name"]


def test_osrm_prepares_the_taiwan_extract_with_the_mld_pipeline_and_serves_it():
    deployment = render_with_osrm().get("Deployment", "luckygas-osrm")
    pod = deployment["spec"]["template"]["spec"]
    download, prepare = pod["initContainers"]
    urls = [item["value"] for item in download["env"] if item["name"] == "OSRM_EXTRACT_URL"]
    assert urls == ["https://download.geofabrik.de/asia/taiwan-latest.osm.pbf"]
    script = prepare["args"][0]
    assert script.index("osrm-extract") < script.index("osrm-partition") < script.index("osrm-customize")
    (server,) = pod["containers"]
    assert "--algorithm=mld" in server["command"]
    for container in (download, prepare, server):
        assert not container["image"].endswith(":latest")
        assert ":" in container["image"].rsplit("/", 1)[-1]
    assert server["image"] == prepare["image"]
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(server)
    assert deployment["spec"]["strategy"]["type"] == "Recreate"  # one pod owns the ReadWriteOnce volume


def test_only_the_app_reaches_osrm_on_its_port():
    rendered = render_with_osrm()
    ingress = rendered.get("NetworkPolicy", "osrm-ingress")
    (rule,) = ingress["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "luckygas"}}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 5000}]
    service = rendered.get("Service", "luckygas-osrm")
    pod_labels = rendered.get("Deployment", "luckygas-osrm")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert ingress["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()


def test_the_rendered_overlay_with_osrm_validates_strictly():
    rendered = render_with_osrm()
    result = run([VALIDATE, "--strict", "--kubernetes-version", KUBERNETES_VERSION, "--quiet", str(rendered.path)])
    assert result.returncode == 0, describe(result)


def test_checkov_finds_no_failure_with_osrm():
    report = _checkov(str(render_with_osrm().path))
    failed = [
        f"{check['check_id']} {check['check_name']}: {check['resource']}"
        for check in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
