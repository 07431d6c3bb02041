import subprocess
import sys
from pathlib import Path

from tests.servers import subprocess_environment

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env or subprocess_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_no_missing_migrations():
    result = _manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_checks_pass_with_production_settings():
    env = {
        **subprocess_environment(),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "x" * 20 + "production-like-secret-key-with-enough-entropy-4f9a7c",
        "DJANGO_SECURE_SSL_REDIRECT": "1",
        "DJANGO_ALLOWED_HOSTS": "app.luckygas.tw",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_refuse_to_start_without_a_secret_key_in_production():
    env = {key: value for key, value in subprocess_environment().items() if key != "DJANGO_SECRET_KEY"}
    env["DJANGO_DEBUG"] = "0"
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
