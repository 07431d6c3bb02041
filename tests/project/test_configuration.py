"""One configuration layer (issue #19): every variable declared once, read once, documented from the declaration."""

import datetime
import re
from pathlib import Path

import environ
import pytest

from luckygas.configuration import BY_NAME, SETTINGS, VARIABLES, Reader, docs

ROOT = Path(__file__).resolve().parents[2]
# Where the application's code lives (tests, benchmarks and installed packages are not the application).
SKIPPED = {".venv", ".venv-checkov", "node_modules", "tests", "bench", "build", "staticfiles", "media", "var"}
NAME = r"""["']([A-Z][A-Z0-9_]*)["']"""
READS = [
    re.compile(rf"\benv\.\w+\(\s*{NAME}"),
    re.compile(rf"\benv_secret\(\s*{NAME}"),
    re.compile(rf"\bread\(\s*{NAME}"),
    re.compile(rf"\bos\.environ\.get\(\s*{NAME}"),
    re.compile(rf"\bos\.environ\[\s*{NAME}\s*\]"),
    re.compile(rf"\bos\.getenv\(\s*{NAME}"),
    re.compile(rf"{NAME}\s+(?:not\s+)?in\s+os\.environ\b"),
]


SHELL_READ = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")
SHELL_SCRIPTS = ["deploy/docker-entrypoint.sh"]


def reads_in(text: str) -> list[str]:
    """Names of environment variables `text` reads (by any of the ways the code has used)."""
    return [match.group(1) for pattern in READS for match in pattern.finditer(text)]


def application_sources() -> dict[str, str]:
    sources = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in SKIPPED or relative.parts[0].startswith(".") or "configuration" in relative.parts:
            continue
        sources[relative.as_posix()] = path.read_text(encoding="utf-8")
    return sources


def reads_by_file() -> dict[str, list[str]]:
    reads = {path: names for path, text in application_sources().items() if (names := reads_in(text))}
    for script in SHELL_SCRIPTS:
        reads[script] = SHELL_READ.findall((ROOT / script).read_text(encoding="utf-8"))
    return reads


def test_the_scan_finds_every_way_of_reading_the_environment():
    text = """
    a = env.int("A_INT", default=1); b = env_secret("B_SECRET"); c = read("C_READ")
    d = os.environ.get('D_GET', "x"); e = os.environ["E_ITEM"]; f = os.getenv("F_GETENV")
    if "G_IN" in os.environ: pass
    os.environ.setdefault("NOT_A_READ", "1")
    """
    assert reads_in(text) == ["A_INT", "B_SECRET", "C_READ", "D_GET", "E_ITEM", "F_GETENV", "G_IN"]


def test_every_variable_the_code_reads_is_declared():
    undeclared = {f"{path}: {name}" for path, names in reads_by_file().items() for name in names if name not in BY_NAME}

    assert undeclared == set(), "declare these in luckygas/configuration/variables.py"


def test_settings_variables_are_read_once_in_the_settings_and_nowhere_else():
    reads = reads_by_file()
    in_settings = reads.pop(SETTINGS)
    elsewhere = {name: path for path, names in reads.items() for name in names}

    for variable in VARIABLES:
        if variable.read_in == SETTINGS:
            assert in_settings.count(variable.name) == 1, variable.name
            assert variable.name not in elsewhere, f"{variable.name} is read in {elsewhere.get(variable.name)}"
        else:
            readers = [path.strip() for path in variable.read_in.split(",")]
            assert all(variable.name in reads.get(path, []) for path in readers), variable.name
    assert len(in_settings) == len(set(in_settings))


def test_the_app_conf_modules_read_no_environment():
    assert not (ROOT / "offline_sync" / "conf.py").exists()
    assert not (ROOT / "banking" / "conf.py").exists()
    sms_conf = (ROOT / "sms" / "conf.py").read_text(encoding="utf-8")
    assert reads_in(sms_conf) == []
    assert "os.environ" not in sms_conf
    assert "env_secret" not in sms_conf


def test_each_variable_is_declared_once_with_a_meaning_and_processes():
    names = [variable.name for variable in VARIABLES]

    assert len(names) == len(set(names)) == len(BY_NAME) == 103
    for variable in VARIABLES:
        assert variable.meaning, variable.name
        assert variable.processes, variable.name
        assert set(variable.processes) <= {"web", "worker", "beat", "ticker"}, variable.name


def test_the_readme_table_is_the_generated_one():
    readme = docs.README.read_text(encoding="utf-8")

    assert readme == docs.readme_with_table(readme), "README.md is stale: run `make config-docs`"
    assert docs.main(["--check"]) == 0
    for variable in VARIABLES:
        assert f"| `{variable.name}`" in readme


def test_a_stale_readme_table_is_detected():
    readme = docs.README.read_text(encoding="utf-8")
    stale = readme.replace("| `SYNC_PURGE_AFTER_DAYS` | integer | `7` |", "| `SYNC_PURGE_AFTER_DAYS` | integer | `8` |")

    assert stale != readme
    assert docs.readme_with_table(stale) == readme


@pytest.fixture
def read(monkeypatch):
    for variable in VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
        monkeypatch.delenv(f"{variable.name}_FILE", raising=False)
    return Reader(environ.Env())


def test_declared_defaults_apply_without_an_environment(read):
    assert read("SYNC_PURGE_AFTER_DAYS") == 7
    assert read("BANKING_SFTP_LEASE_SECONDS") == 60.0
    assert read("BANKING_FINANCE_EMAILS") == []
    assert read("SMS_MITAKE_BASE_URL") == "https://smsapi.mitake.com.tw"
    assert read("SMS_HTTP_TIMEOUT_SECONDS") == 10.0
    assert read("SMS_MARKETING_START") == datetime.time(9, 0)
    assert read("SMS_OPTED_OUT_ALLOWS_CRITICAL") is True
    assert read("SMS_BODY_KEYS") == ""
    assert read("DJANGO_SECRET_KEY") is None


def test_sms_variables_keep_their_own_parsing(read, monkeypatch):
    # a blank number is the default; text is stripped, and set-but-empty text stays empty
    monkeypatch.setenv("SMS_CUSTOMER_LIMIT_PER_DAY", "  ")
    monkeypatch.setenv("SMS_SYSTEM_LIMIT_PER_MINUTE", " 7 ")
    monkeypatch.setenv("SMS_TWILIO_FROM", "  +15005550006 ")
    monkeypatch.setenv("SMS_MITAKE_BASE_URL", "")
    monkeypatch.setenv("SMS_MARKETING_END", " 20:30 ")

    assert read("SMS_CUSTOMER_LIMIT_PER_DAY") == 5
    assert read("SMS_SYSTEM_LIMIT_PER_MINUTE") == 7
    assert read("SMS_TWILIO_FROM") == "+15005550006"
    assert read("SMS_MITAKE_BASE_URL") == ""
    assert read("SMS_MARKETING_END") == datetime.time(20, 30)
    for value, allowed in (("0", False), ("false", False), ("no", False), ("False", True), ("1", True)):
        monkeypatch.setenv("SMS_OPTED_OUT_ALLOWS_CRITICAL", value)
        assert read("SMS_OPTED_OUT_ALLOWS_CRITICAL") is allowed, value


def test_a_secret_comes_from_the_variable_or_the_file_it_names(read, monkeypatch, tmp_path):
    monkeypatch.setenv("SMS_CALLBACK_TOKEN", "from-variable")
    assert read("SMS_CALLBACK_TOKEN") == "from-variable"

    secret_file = tmp_path / "token"
    secret_file.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("SMS_CALLBACK_TOKEN_FILE", str(secret_file))
    assert read("SMS_CALLBACK_TOKEN") == "from-file"


def test_a_variable_read_outside_the_settings_cannot_be_read_through_them(read):
    with pytest.raises(LookupError, match=r"GUNICORN_WORKERS is declared as read in luckygas/gunicorn_conf\.py"):
        read("GUNICORN_WORKERS")
    with pytest.raises(KeyError):
        read("NOT_DECLARED_ANYWHERE")


def test_app_settings_are_read_from_django_settings_at_call_time(settings):
    from sms import conf as sms_conf

    settings.SMS_REDIS_URL = ""
    settings.REDIS_URL = "redis://127.0.0.1:6379/9"
    settings.SMS_REDISPATCH_AFTER_SECONDS = 2
    settings.SMS_BODY_KEYS = " new , old ,"

    assert sms_conf.redis_url() == "redis://127.0.0.1:6379/9"
    assert sms_conf.stuck_after() == datetime.timedelta(seconds=2)
    assert sms_conf.body_keys() == ["new", "old"]
