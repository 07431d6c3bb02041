"""Step 4: custom resources validate against the JSON schemas kept in deploy/schemas/.

The schemas are written for the CRD versions the cluster runs (External Secrets v1,
prometheus-operator, Argo Rollouts, Istio) and are strict (`additionalProperties: false`)
wherever this project sets fields, so a typo fails here instead of in the cluster.
"""

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.deploy.rendering import DEPLOY, OVERLAYS, render


def _load_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for path in sorted((DEPLOY / "schemas").glob("*/*.json")):
        schema = json.loads(Path(path).read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        key = (schema["properties"]["apiVersion"]["const"], schema["properties"]["kind"]["const"])
        schemas[key] = schema
    return schemas


SCHEMAS = _load_schemas()
CLUSTER_ISSUERS = {"letsencrypt-production", "letsencrypt-staging"}


def _is_custom(document: dict[str, Any]) -> bool:
    group = document["apiVersion"].split("/")[0] if "/" in document["apiVersion"] else ""
    return "." in group and not group.endswith(".k8s.io")


def _errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMAS[(document["apiVersion"], document["kind"])])
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_custom_resource_matches_its_schema(overlay):
    custom = [doc for doc in render(overlay).documents if _is_custom(doc)]
    assert custom
    for document in custom:
        key = (document["apiVersion"], document["kind"])
        assert key in SCHEMAS, f"{overlay}: no schema in deploy/schemas for {key}"
        assert _errors(document) == [], f"{overlay}: {document['kind']} {document['metadata']['name']}"


def test_the_schemas_cover_every_custom_kind_of_the_issue():
    kinds = {kind for _, kind in SCHEMAS}
    assert {
        "ExternalSecret",
        "ClusterSecretStore",
        "ServiceMonitor",
        "PrometheusRule",
        "Rollout",
        "AnalysisTemplate",
        "VirtualService",
        "DestinationRule",
        "AlertmanagerConfig",
    } <= kinds


@pytest.mark.parametrize(
    ("kind", "name", "mutate", "expected"),
    [
        ("ExternalSecret", "luckygas", lambda d: d["spec"].update(refreshIntervall="1h"), "refreshIntervall"),
        (
            "ExternalSecret",
            "luckygas",
            lambda d: d["spec"]["secretStoreRef"].update(kind="Vault"),
            "'Vault' is not one of",
        ),
        (
            "Rollout",
            "luckygas-web",
            lambda d: d["spec"]["strategy"]["canary"]["steps"].append({"setWeight": 150}),
            "150 is greater than the maximum",
        ),
        ("PrometheusRule", "luckygas", lambda d: d["spec"]["groups"][0]["rules"][1].update(for_="5m"), "for_"),
        (
            "ServiceMonitor",
            "luckygas-web",
            lambda d: d["spec"]["endpoints"][0].update(interval="30 seconds"),
            "does not match",
        ),
        (
            "AnalysisTemplate",
            "luckygas-web-5xx-ratio",
            lambda d: d["spec"]["metrics"][0]["provider"]["prometheus"].pop("query"),
            "'query' is a required property",
        ),
    ],
)
def test_a_broken_custom_resource_is_refused(kind, name, mutate, expected):
    # given a rendered resource with one mistake
    document = copy.deepcopy(render("production").get(kind, name))
    mutate(document)
    # when / then
    errors = _errors(document)
    assert any(expected in error for error in errors), errors


def test_ingress_certificates_come_from_a_known_cluster_issuer_and_cover_every_host():
    for overlay in OVERLAYS:
        for ingress in render(overlay).of_kind("Ingress"):
            annotations = ingress["metadata"].get("annotations", {})
            hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
            if "cert-manager.io/cluster-issuer" not in annotations:
                # Only the deny-all Ingress for internal paths has no certificate of its own.
                assert annotations.get("nginx.ingress.kubernetes.io/denylist-source-range") == "0.0.0.0/0,::/0"
                continue
            assert annotations["cert-manager.io/cluster-issuer"] in CLUSTER_ISSUERS
            assert "cert-manager.io/issuer" not in annotations
            tls_hosts = {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]}
            assert hosts <= tls_hosts, (
                f"{overlay}: {ingress['metadata']['name']} serves {hosts - tls_hosts} without TLS"
            )
            assert all(tls["secretName"] for tls in ingress["spec"]["tls"])
