"""Plain HTTP through WSGI, websockets through ASGI (issue #15): two web tiers and the paths between them."""

from typing import Any

import pytest

from tests.deploy.rendering import OVERLAYS, pod_labels, pod_spec, render, selector_matches

WEB, WEBSOCKET = "luckygas-web", "luckygas-web-websocket"
TIERS = {"web": WEB, "websocket": WEBSOCKET}
INTERNAL_PATHS = {"/metrics", "/readyz", "/healthz"}


def _backends(ingress: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (rule["host"], path["path"], path["backend"]["service"]["name"])
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]


def _deployment_of(rendered, component: str) -> dict[str, Any]:
    (deployment,) = [
        deployment
        for deployment in rendered.of_kind("Deployment")
        if pod_labels(deployment)["app.kubernetes.io/component"] == component
        and pod_labels(deployment).get("luckygas.tw/variant") != "driver"
    ]
    return deployment


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize(("component", "command"), [("web", "web"), ("websocket", "websocket")])
def test_each_tier_runs_its_own_command_with_probes_budget_autoscaler_and_network_policy(overlay, component, command):
    rendered = render(overlay)
    deployment = _deployment_of(rendered, component)
    labels = pod_labels(deployment)
    container = pod_spec(deployment)["containers"][0]
    assert container["args"] == [command]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"

    (budget,) = [
        pdb for pdb in rendered.of_kind("PodDisruptionBudget") if selector_matches(pdb["spec"]["selector"], labels)
    ]
    assert budget["spec"]["maxUnavailable"] == 1
    targets = {
        (hpa["spec"]["scaleTargetRef"]["kind"], hpa["spec"]["scaleTargetRef"]["name"])
        for hpa in rendered.of_kind("HorizontalPodAutoscaler")
    }
    owner_kind = "Rollout" if overlay == "production" else "Deployment"
    assert (owner_kind, deployment["metadata"]["name"]) in targets
    policies = [
        policy
        for policy in rendered.of_kind("NetworkPolicy")
        if policy["spec"].get("ingress") and selector_matches(policy["spec"]["podSelector"], labels)
    ]
    assert len(policies) == 1, f"{overlay}: {component} pods need exactly one ingress policy"

    (service,) = [svc for svc in rendered.of_kind("Service") if svc["metadata"]["name"] == TIERS[component]]
    assert selector_matches({"matchLabels": service["spec"]["selector"]}, labels)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_two_tiers_services_never_select_each_others_pods(overlay):
    rendered = render(overlay)
    web, websocket = (pod_labels(_deployment_of(rendered, component)) for component in ("web", "websocket"))
    services = {svc["metadata"]["name"]: svc["spec"]["selector"] for svc in rendered.of_kind("Service")}
    assert not selector_matches({"matchLabels": services[WEB]}, websocket)
    assert not selector_matches({"matchLabels": services[WEBSOCKET]}, web)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ingress_sends_ws_to_the_websocket_tier_and_every_other_path_to_web(overlay):
    routes = [route for ingress in render(overlay).of_kind("Ingress") for route in _backends(ingress)]
    assert routes
    hosts = {host for host, _path, _service in routes}
    for host in hosts:
        assert (host, "/ws/", WEBSOCKET) in routes, f"{overlay}: {host}/ws/ does not reach the websocket tier"
    for host, path, service in routes:
        if path.startswith("/ws"):
            assert service == WEBSOCKET, (overlay, host, path, service)
        else:
            assert service == WEB, (overlay, host, path, service)
    assert {path for _host, path, _service in routes} - {"/ws/"} - INTERNAL_PATHS <= {"/", "/api/"}


def test_the_production_canary_covers_both_tiers_each_on_its_own_ingresses():
    rendered = render("production")
    ingresses = {ingress["metadata"]["name"]: ingress for ingress in rendered.of_kind("Ingress")}
    rollouts = {rollout["metadata"]["name"]: rollout for rollout in rendered.of_kind("Rollout")}
    assert set(rollouts) == {WEB, WEBSOCKET}
    for name, rollout in rollouts.items():
        canary = rollout["spec"]["strategy"]["canary"]
        assert rollout["spec"]["workloadRef"]["name"] == name
        assert canary["stableService"] == name
        assert canary["analysis"]["templates"], name
        assert [step["setWeight"] for step in canary["steps"] if "setWeight" in step] == [10, 30, 60]
        routing = canary["trafficRouting"]["nginx"]
        managed = [routing["stableIngress"], *routing.get("additionalStableIngresses", [])]
        # Argo Rollouts splits traffic on these Ingresses: each must send to this rollout's stable Service.
        for ingress_name in managed:
            assert {service for _host, _path, service in _backends(ingresses[ingress_name])} == {name}
        canary_service = next(
            svc for svc in rendered.of_kind("Service") if svc["metadata"]["name"] == canary["canaryService"]
        )
        assert canary_service["spec"]["selector"] == rendered.get("Service", name)["spec"]["selector"]
    public = {
        name
        for name, ingress in ingresses.items()
        if "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]
    }
    covered = {
        ingress
        for rollout in rollouts.values()
        for ingress in [
            rollout["spec"]["strategy"]["canary"]["trafficRouting"]["nginx"]["stableIngress"],
            *rollout["spec"]["strategy"]["canary"]["trafficRouting"]["nginx"].get("additionalStableIngresses", []),
        ]
    }
    assert covered == public


def test_with_istio_the_websocket_ingress_reaches_the_websocket_service_and_the_mesh_routes_no_websocket_to_web():
    rendered = render("istio")
    vhost = "nginx.ingress.kubernetes.io/upstream-vhost"
    for ingress in rendered.of_kind("Ingress"):
        annotations = ingress["metadata"]["annotations"]
        if vhost not in annotations:
            continue
        services = {service for _host, _path, service in _backends(ingress)}
        assert annotations[vhost] == f"{services.pop()}.luckygas.svc.cluster.local", ingress["metadata"]["name"]
    (virtual_service,) = rendered.of_kind("VirtualService")
    prefixes = [
        match["uri"]["prefix"]
        for route in virtual_service["spec"]["http"]
        for match in route.get("match", [])
        if "uri" in match
    ]
    assert not [prefix for prefix in prefixes if prefix.startswith("/ws")]
