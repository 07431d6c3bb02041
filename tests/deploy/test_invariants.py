"""Step 6: invariants of the rendered manifests that no generic linter knows about."""

import re
from typing import Any

import pytest

from tests.deploy.rendering import OVERLAYS, WORKLOAD_KINDS, pod_labels, pod_spec, render, selector_matches

TMP = "/tmp"  # noqa: S108 (the path checked, not one used)
HARDENED_CONTAINER = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "privileged": False,
}


def _deployments(overlay: str) -> list[dict[str, Any]]:
    return render(overlay).of_kind("Deployment")


def _all_containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def _name(document: dict[str, Any]) -> str:
    return f"{document['kind']}/{document['metadata']['name']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_distinct_readiness_and_liveness_probes(overlay):
    for deployment in _deployments(overlay):
        for container in pod_spec(deployment)["containers"]:
            readiness, liveness = container.get("readinessProbe"), container.get("livenessProbe")
            assert readiness, f"{_name(deployment)}/{container['name']} has no readiness probe"
            assert liveness, f"{_name(deployment)}/{container['name']} has no liveness probe"
            check = {key: value for key, value in readiness.items() if key in ("httpGet", "exec", "tcpSocket", "grpc")}
            assert check != {key: liveness.get(key) for key in check}, f"{_name(deployment)}: readiness == liveness"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_and_limits(overlay):
    for workload in render(overlay).of_kind(*WORKLOAD_KINDS):
        spec = pod_spec(workload)
        if spec is None:
            continue
        for container in _all_containers(spec):
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), f"{_name(workload)}/{container['name']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_hardened(overlay):
    for workload in render(overlay).of_kind(*WORKLOAD_KINDS):
        spec = pod_spec(workload)
        if spec is None:
            continue
        where = _name(workload)
        assert spec["automountServiceAccountToken"] is False, where
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["runAsUser"] >= 10000, where
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert [key for key in ("hostNetwork", "hostPID", "hostIPC") if spec.get(key)] == [], where
        tmp_volumes = {volume["name"] for volume in spec["volumes"] if "emptyDir" in volume}
        for container in _all_containers(spec):
            context = container["securityContext"]
            assert {key: context.get(key) for key in HARDENED_CONTAINER} == HARDENED_CONTAINER, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            assert context.get("runAsUser", spec["securityContext"]["runAsUser"]) >= 10000, where
            tmp_mounts = [mount for mount in container["volumeMounts"] if mount["mountPath"] == TMP]
            assert [mount["name"] for mount in tmp_mounts if mount["name"] in tmp_volumes], (
                f"{where}: /tmp not emptyDir"
            )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_a_pdb_and_spreads_across_zones_and_nodes(overlay):
    rendered = render(overlay)
    budgets = rendered.of_kind("PodDisruptionBudget")
    for deployment in _deployments(overlay):
        labels = pod_labels(deployment)
        covering = [pdb for pdb in budgets if selector_matches(pdb["spec"]["selector"], labels)]
        assert len(covering) == 1, f"{overlay}: {_name(deployment)} is covered by {len(covering)} PDBs"
        keys = {constraint["topologyKey"] for constraint in pod_spec(deployment)["topologySpreadConstraints"]}
        if deployment["spec"]["replicas"] > 1 or deployment["metadata"]["name"].startswith("luckygas-web"):
            assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}, _name(deployment)
        else:
            assert "topology.kubernetes.io/zone" in keys, _name(deployment)
        for constraint in pod_spec(deployment)["topologySpreadConstraints"]:
            assert selector_matches(constraint["labelSelector"], labels), _name(deployment)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_beat_is_a_single_replica_recreated_never_autoscaled(overlay):
    rendered = render(overlay)
    beat = rendered.get("Deployment", "luckygas-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert not [
        hpa
        for hpa in rendered.of_kind("HorizontalPodAutoscaler")
        if hpa["spec"]["scaleTargetRef"]["name"] == "luckygas-beat"
    ]
    args = pod_spec(beat)["containers"][0]["args"]
    assert args == ["beat"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_job_is_named_after_the_image_tag(overlay):
    jobs = render(overlay).of_kind("Job")
    assert len(jobs) == 1
    job = jobs[0]
    tag = pod_spec(job)["containers"][0]["image"].rsplit(":", 1)[1]
    assert job["metadata"]["name"] == f"luckygas-migrate-{tag}"
    assert pod_spec(job)["containers"][0]["args"] == ["migrate"]
    assert pod_spec(job)["restartPolicy"] == "Never"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_pods_wait_for_migrations_instead_of_migrating(overlay):
    for deployment in _deployments(overlay):
        component = pod_labels(deployment)["app.kubernetes.io/component"]
        if component not in ("web", "websocket"):
            continue
        init = pod_spec(deployment)["initContainers"]
        assert [container["args"] for container in init] == [["wait-for-migrations"]]
        assert pod_spec(deployment)["containers"][0]["args"] == [component]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_image_is_untagged_or_latest(overlay):
    for workload in render(overlay).of_kind(*WORKLOAD_KINDS):
        spec = pod_spec(workload)
        if spec is None:
            continue
        for container in _all_containers(spec):
            image = container["image"]
            assert re.fullmatch(r"[a-z0-9.-]+(/[a-z0-9._-]+)+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", image), image
            assert not image.endswith(":latest"), image


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_selected_by_a_network_policy_and_the_namespace_denies_by_default(overlay):
    rendered = render(overlay)
    policies = rendered.of_kind("NetworkPolicy")
    default_deny = [
        policy
        for policy in policies
        if policy["spec"]["podSelector"] == {}
        and set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not policy["spec"].get("ingress")
        and not policy["spec"].get("egress")
    ]
    assert len(default_deny) == 1
    specific = [policy for policy in policies if policy["spec"]["podSelector"] != {}]
    for workload in rendered.of_kind(*WORKLOAD_KINDS):
        labels = pod_labels(workload) if "template" in workload["spec"] else None
        if labels is None:
            continue
        assert [policy for policy in specific if selector_matches(policy["spec"]["podSelector"], labels)], (
            f"{overlay}: {_name(workload)} is selected by no NetworkPolicy of its own"
        )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_web_accepts_traffic_and_only_from_the_ingress_controller_and_prometheus(overlay):
    rendered = render(overlay)
    for policy in rendered.of_kind("NetworkPolicy"):
        for rule in policy["spec"].get("ingress", []):
            assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] in ("web", "websocket")
            sources = {peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in rule["from"]}
            assert sources <= {"ingress-nginx", "monitoring"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_database_and_redis_egress_only_for_their_clients(overlay):
    rendered = render(overlay)
    by_port: dict[int, list[dict[str, Any]]] = {}
    for policy in rendered.of_kind("NetworkPolicy"):
        for rule in policy["spec"].get("egress", []):
            for port in rule.get("ports", []):
                by_port.setdefault(port["port"], []).append(policy)
    assert [p["spec"]["podSelector"] for p in by_port[5432]] == [
        {"matchLabels": {"luckygas.tw/database-client": "true"}}
    ]
    assert [p["spec"]["podSelector"] for p in by_port[6379]] == [{"matchLabels": {"luckygas.tw/redis-client": "true"}}]
    migrate = rendered.of_kind("Job")[0]
    assert "luckygas.tw/redis-client" not in pod_labels(migrate)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscalers_keep_more_pods_than_the_pdb_lets_go(overlay):
    rendered = render(overlay)
    budgets = rendered.of_kind("PodDisruptionBudget")
    workloads = {(w["kind"], w["metadata"]["name"]): w for w in rendered.of_kind("Deployment", "Rollout")}
    for hpa in rendered.of_kind("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        workload = workloads[(target["kind"], target["name"])]
        labels = workload["spec"]["selector"]["matchLabels"]
        (budget,) = [pdb for pdb in budgets if selector_matches(pdb["spec"]["selector"], labels)]
        minimum = hpa["spec"]["minReplicas"]
        if "maxUnavailable" in budget["spec"]:
            assert minimum > budget["spec"]["maxUnavailable"], _name(hpa)
        else:
            assert minimum > budget["spec"]["minAvailable"], _name(hpa)
        assert hpa["apiVersion"] == "autoscaling/v2"


def test_production_web_autoscales_on_cpu_and_requests_per_second_from_3_to_20():
    hpa = render("production").get("HorizontalPodAutoscaler", "luckygas-web")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 20)
    metrics = {metric["type"]: metric for metric in hpa["spec"]["metrics"]}
    assert metrics["Resource"]["resource"] == {
        "name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": 70},
    }
    assert metrics["Pods"]["pods"]["metric"]["name"] == "http_requests_per_second"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_worker_deployment_per_queue_class_with_its_own_autoscaler(overlay):
    rendered = render(overlay)
    queues = {}
    for deployment in _deployments(overlay):
        container = pod_spec(deployment)["containers"][0]
        if container["args"] == ["worker"]:
            env = {item["name"]: item.get("value") for item in container["env"]}
            queues[deployment["metadata"]["name"]] = env["CELERY_QUEUES"]
            assert pod_spec(deployment)["terminationGracePeriodSeconds"] >= 60
    assert queues == {
        "luckygas-worker-default": "default",
        "luckygas-worker-sms": "sms",
        "luckygas-worker-banking": "banking,exports",
    }
    targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in rendered.of_kind("HorizontalPodAutoscaler")}
    assert set(queues) <= targets


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_has_no_snippet_annotations(overlay):
    for ingress in render(overlay).of_kind("Ingress"):
        for key in ingress["metadata"].get("annotations", {}):
            assert "snippet" not in key, f"{_name(ingress)}: {key}"
        assert ingress["spec"]["ingressClassName"] == "nginx"


def test_ingress_limits_the_api_rate_keeps_websockets_open_and_bounds_bodies():
    rendered = render("production")
    api = rendered.get("Ingress", "luckygas-api")["metadata"]["annotations"]
    websockets = rendered.get("Ingress", "luckygas-websockets")
    assert int(api["nginx.ingress.kubernetes.io/limit-rps"]) > 0
    assert {path["path"] for rule in websockets["spec"]["rules"] for path in rule["http"]["paths"]} == {"/ws/"}
    annotations = websockets["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    for ingress in rendered.of_kind("Ingress"):
        if "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]:
            assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_hosts_are_the_hosts_django_serves(overlay):
    rendered = render(overlay)
    config = next(cm for cm in rendered.of_kind("ConfigMap") if cm["metadata"]["name"].startswith("luckygas-config"))
    public_hosts = set(config["data"]["DJANGO_PUBLIC_HOSTS"].split(","))
    for ingress in rendered.of_kind("Ingress"):
        assert {rule["host"] for rule in ingress["spec"]["rules"]} <= public_hosts, _name(ingress)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_namespace_enforces_the_restricted_pod_security_profile(overlay):
    namespace = render(overlay).get("Namespace", "luckygas")
    labels = namespace["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_reach_pods_as_files_only(overlay):
    rendered = render(overlay)
    # Pods mount only the Secrets the ExternalSecrets write (luckygas-secrets and the bank keys).
    externals = rendered.of_kind("ExternalSecret")
    secret_names = {"luckygas-secrets", "luckygas-bank-file-keys", "luckygas-bank-sftp-keys"}
    assert secret_names <= {external["spec"]["target"]["name"] for external in externals}
    for workload in rendered.of_kind(*WORKLOAD_KINDS):
        spec = pod_spec(workload)
        if spec is None:
            continue
        for container in _all_containers(spec):
            for item in container.get("env", []):
                assert "secretKeyRef" not in item.get("valueFrom", {}), f"{_name(workload)}: {item['name']}"
                if item["name"].endswith("_FILE"):
                    assert item["value"].startswith("/run/secrets/luckygas/"), item
            assert all("secretRef" not in source for source in container.get("envFrom", []))
        mounted = {volume["secret"]["secretName"] for volume in spec["volumes"] if "secret" in volume}
        mounted |= {
            source["secret"]["name"]
            for volume in spec["volumes"]
            for source in volume.get("projected", {}).get("sources", [])
            if "secret" in source
        }
        assert mounted <= secret_names
    assert rendered.get("ExternalSecret", "luckygas")["spec"]["target"]["name"] == "luckygas-secrets"
    assert {external["spec"]["secretStoreRef"]["kind"] for external in externals} == {"ClusterSecretStore"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_accounts_have_no_rbac_and_no_token(overlay):
    rendered = render(overlay)
    assert not rendered.of_kind("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
    for account in rendered.of_kind("ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


RUNBOOKS = ("zh-TW", "en")  # docs/<language>/operations.md: the operations guide, served at /docs/


@pytest.mark.parametrize("language", RUNBOOKS)
def test_every_alert_has_a_runbook_section(language):
    guide = render("production").path.parents[2] / "docs" / language / "operations.md"
    text = guide.read_text(encoding="utf-8")
    headings = set(re.findall(r"^### (\S+)$", text, re.MULTILINE))
    rule = render("production").get("PrometheusRule", "luckygas")
    alerts = [item["alert"] for group in rule["spec"]["groups"] for item in group["rules"] if "alert" in item]
    assert {
        "LuckyGasHigh5xxRatio",
        "LuckyGasHighLatencyP95",
        "LuckyGasCeleryQueueBacklog",
        "LuckyGasSmsFailureRatio",
        "LuckyGasBankUploadFailed",
        "LuckyGasDriverSyncLag",
        "LuckyGasPodRestarting",
    } <= set(alerts)
    for alert in alerts:
        assert alert in headings, f"docs/{language}/operations.md has no section for {alert}"
        runbook = next(
            item for group in rule["spec"]["groups"] for item in group["rules"] if item.get("alert") == alert
        )
        # The Traditional Chinese page on GitHub: it opens while the app itself is down.
        assert runbook["annotations"]["runbook_url"] == (
            f"https://github.com/luckygas/backoffice/blob/main/docs/zh-TW/operations.md#{alert.lower()}"
        )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_two_workloads_claim_the_same_pods(overlay):
    workloads = [w for w in render(overlay).of_kind("Deployment") if "template" in w["spec"]]
    for workload in workloads:
        for other in workloads:
            if other is not workload:
                assert not selector_matches(workload["spec"]["selector"], pod_labels(other)), (
                    f"{overlay}: {_name(workload)} selects the pods of {_name(other)}"
                )
