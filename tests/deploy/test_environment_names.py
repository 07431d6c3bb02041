"""The environment the manifests give the app is the one the code reads (luckygas/configuration).

Every name a rendered workload sets (its `env` and the ConfigMaps of its `envFrom`) must be a
declared variable, the `_FILE` form of a declared secret, or a bank key name of
banking/secrets.py; every `_FILE` must point at a mounted Secret key of that name; the bank key
directory must hold the names banking/secrets.py looks up; and the processes get the SMS
settings they need.
"""

import posixpath
import re
from typing import Any

import pytest

from banking import secrets as bank_secrets
from luckygas.configuration import BY_NAME, WORKER
from tests.deploy.rendering import OVERLAYS, WORKLOAD_KINDS, Rendered, pod_spec, render

BANK_PURPOSES = (bank_secrets.FILE_KEY, bank_secrets.SIGNING_KEY, bank_secrets.BANK_PUBLIC_KEY, bank_secrets.SFTP_KEY)
BANK_KEY_NAME = re.compile(r"^LUCKYGAS_[A-Z0-9_]+_(" + "|".join(BANK_PURPOSES) + r")(_FILE)?$")
# Read by the OpenTelemetry SDK itself (luckygas/tracing.py leaves them to it).
READ_BY_LIBRARIES = {"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"}
REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
SMS_WORKER_SECRETS = sorted(
    name
    for name, variable in BY_NAME.items()
    if name.startswith("SMS_") and variable.secret and WORKER in variable.processes
)


def _app_containers(rendered: Rendered) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(workload/container, container, pod spec) of every container running the app's image."""
    found = []
    for workload in rendered.of_kind(*WORKLOAD_KINDS):
        spec = pod_spec(workload)
        if spec is None:
            continue
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            if "backoffice" in container["image"]:
                found.append(
                    (f"{workload['kind']}/{workload['metadata']['name']}/{container['name']}", container, spec)
                )
    return found


def _environment(rendered: Rendered, container: dict[str, Any]) -> dict[str, str | None]:
    """Name → literal value (None when it comes from a reference) the container's process sees."""
    environment: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        config_map = rendered.get("ConfigMap", source["configMapRef"]["name"])
        environment.update(config_map.get("data", {}))
    for item in container.get("env", []):
        environment[item["name"]] = item.get("value")
    return environment


def _mounted_secret_keys(rendered: Rendered, spec: dict[str, Any], container: dict[str, Any]) -> dict[str, set[str]]:
    """Mount path → the keys the ExternalSecrets put in the Secret(s) mounted there (explicit `data` only)."""
    produced: dict[str, set[str]] = {}
    for external in rendered.of_kind("ExternalSecret"):
        keys = {item["secretKey"] for item in external["spec"].get("data", [])}
        produced[external["spec"]["target"]["name"]] = keys
    volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
    mounted = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        names = [volume["secret"]["secretName"]] if "secret" in volume else []
        names += [source["secret"]["name"] for source in volume.get("projected", {}).get("sources", [])]
        mounted[mount["mountPath"]] = set().union(*(produced.get(name, set()) for name in names))
    return mounted


def _secret_names_of_mount(spec: dict[str, Any], container: dict[str, Any], path: str) -> list[str]:
    volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        if mount["mountPath"] == path:
            volume = volumes[mount["name"]]
            names = [volume["secret"]["secretName"]] if "secret" in volume else []
            return names + [source["secret"]["name"] for source in volume.get("projected", {}).get("sources", [])]
    return []


def _references(environment: dict[str, str | None]) -> set[str]:
    """Names used as `$(NAME)` to compose another variable (e.g. DJANGO_ALLOWED_HOSTS)."""
    return {name for value in environment.values() if value for name in REFERENCE.findall(value)}


def _unknown_names(environment: dict[str, str | None], referenced: set[str] = frozenset()) -> list[str]:
    referenced = referenced | _references(environment)
    unknown = []
    for name in sorted(environment):
        stem = name.removesuffix("_FILE")
        if name in BY_NAME or (name != stem and stem in BY_NAME and BY_NAME[stem].secret):
            continue
        if BANK_KEY_NAME.match(name) or name in READ_BY_LIBRARIES or name in referenced:
            continue
        unknown.append(name)
    return unknown


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_environment_name_the_manifests_set_is_one_the_code_reads(overlay):
    rendered = render(overlay)
    containers = _app_containers(rendered)
    assert len(containers) >= 6  # web (+ its init container), three workers, beat, the migration Job
    # A ConfigMap entry only composed into another variable (DJANGO_PUBLIC_HOSTS) reaches every
    # container through envFrom; it is allowed where any container composes it.
    composed = set().union(*(_references(_environment(rendered, container)) for _, container, _ in containers))
    unknown = {
        where: names
        for where, container, _ in containers
        if (names := _unknown_names(_environment(rendered, container), composed))
    }
    assert unknown == {}


def test_names_the_code_never_reads_are_refused():
    # The names the manifests used to set (secrets without their SMS_/WEBPUSH_ prefix, a bank key
    # under a name banking/secrets.py never builds) are refused; the forms the code reads pass.
    environment = {
        "VAPID_PRIVATE_KEY_FILE": "/run/secrets/luckygas/VAPID_PRIVATE_KEY",
        "MITAKE_PASSWORD_FILE": "/run/secrets/luckygas/MITAKE_PASSWORD",
        "BANK_SFTP_PRIVATE_KEY_FILE": "/run/secrets/luckygas/BANK_SFTP_PRIVATE_KEY",
        "SMS_BODY_KEYS_FILE": "/run/secrets/luckygas/SMS_BODY_KEYS",
        "SMS_TWILIO_FROM_FILE": "/run/secrets/luckygas/SMS_TWILIO_FROM",  # not a secret: no _FILE form
        "LUCKYGAS_BANK_822_SFTP_KEY_FILE": "/run/secrets/bank/LUCKYGAS_BANK_822_SFTP_KEY",
        "PUBLIC_HOSTS": "a.example",
        "DJANGO_ALLOWED_HOSTS": "$(PUBLIC_HOSTS)",
    }
    assert _unknown_names(environment) == [
        "BANK_SFTP_PRIVATE_KEY_FILE",
        "MITAKE_PASSWORD_FILE",
        "SMS_TWILIO_FROM_FILE",
        "VAPID_PRIVATE_KEY_FILE",
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_file_variable_points_at_a_mounted_secret_key_of_its_name(overlay):
    rendered = render(overlay)
    wrong = []
    for where, container, spec in _app_containers(rendered):
        mounted = _mounted_secret_keys(rendered, spec, container)
        for name, value in _environment(rendered, container).items():
            if not name.endswith("_FILE"):
                continue
            directory, key = posixpath.split(value or "")
            if key != name.removesuffix("_FILE") or key not in mounted.get(directory, set()):
                wrong.append(f"{where}: {name}={value}")
    assert wrong == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_bank_key_directory_holds_the_names_banking_secrets_looks_up(overlay):
    rendered = render(overlay)
    finders = {
        external["spec"]["target"]["name"]: [item["find"]["name"]["regexp"] for item in external["spec"]["dataFrom"]]
        for external in rendered.of_kind("ExternalSecret")
        if external["spec"].get("dataFrom")
    }
    directories = {}
    for where, container, spec in _app_containers(rendered):
        directory = _environment(rendered, container).get("BANKING_SECRETS_DIR")
        if directory is None:
            continue
        patterns = [pattern for name in _secret_names_of_mount(spec, container, directory) for pattern in finders[name]]
        directories[where] = sorted(
            purpose
            for purpose in BANK_PURPOSES
            if any(re.match(pattern, bank_secrets.bank_secret_name("bank_822", purpose)) for pattern in patterns)
        )
        # Nothing else lands there: not the account key, not another app's secret.
        for stray in (bank_secrets.ACCOUNT_KEY_NAME, "DATABASE_URL", "LUCKYGAS_BANK_822_FILE_KEY_OLD"):
            assert not any(re.match(pattern, stray) for pattern in patterns), (where, stray)
    worker = "Deployment/luckygas-worker-banking/worker"
    assert directories[worker] == sorted(BANK_PURPOSES)
    # Web generates and opens files from the admin but never logs in to a bank.
    assert directories["Deployment/luckygas-web/web"] == sorted(set(BANK_PURPOSES) - {bank_secrets.SFTP_KEY})


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_sms_worker_gets_every_sms_credential_and_every_sender_gets_the_body_keys(overlay):
    rendered = render(overlay)
    containers = _app_containers(rendered)
    sms_workers = []
    for where, container, _ in containers:
        environment = _environment(rendered, container)
        args = container.get("args", [])
        if args[:1] in (["web"], ["worker"]):
            # Messages are queued encrypted (sms/crypto.py) by web, the workers and their hooks.
            assert "SMS_BODY_KEYS_FILE" in environment, where
        if "sms" in (environment.get("CELERY_QUEUES") or "").split(","):
            sms_workers.append(where)
            missing = [name for name in SMS_WORKER_SECRETS if f"{name}_FILE" not in environment]
            assert missing == [], where
            assert (environment.get("SMS_CALLBACK_BASE_URL") or "").startswith("https://"), where
    assert sms_workers == ["Deployment/luckygas-worker-sms/worker"]
    assert SMS_WORKER_SECRETS == [
        "SMS_BODY_KEYS",
        "SMS_CALLBACK_TOKEN",
        "SMS_EVERY8D_PASSWORD",
        "SMS_EVERY8D_UID",
        "SMS_MITAKE_PASSWORD",
        "SMS_MITAKE_USERNAME",
        "SMS_TWILIO_ACCOUNT_SID",
        "SMS_TWILIO_AUTH_TOKEN",
    ]
