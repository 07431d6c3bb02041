"""The operations guide (the deployment runbook, moved from deploy/README.md) in both languages.

The two pages are one runbook: the same sections, the same alerts and the same commands, in the
same order, whatever the prose around them says; and every file of deploy/ that they name exists.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = {language: ROOT / "docs" / language / "operations.md" for language in ("zh-TW", "en")}
SECTION_ID = re.compile(r"^#{2,3} .*\{#([a-z0-9-]+)\}$", re.MULTILINE)
ALERT = re.compile(r"^### (LuckyGas\w+)$", re.MULTILINE)
FENCE = re.compile(r"^ *```[a-z]*\n(.*?)^ *```$", re.MULTILINE | re.DOTALL)
DEPLOY_PATH = re.compile(r"`((?:deploy|base|overlays|optional|tools|tests/deploy)/[\w./-]+)`")


def _text(language: str) -> str:
    return PAGES[language].read_text(encoding="utf-8")


def _commands(text: str) -> list[str]:
    """Each line of each code block without its comment (comments are translated, commands never)."""
    lines = []
    for block in FENCE.findall(text):
        for line in block.splitlines():
            command = re.split(r"(?:^|\s{2,})# ", line.strip())[0].strip()
            if command:
                lines.append(command)
    return lines


def test_both_languages_have_the_same_sections_in_the_same_order():
    zh, en = (SECTION_ID.findall(_text(language)) for language in PAGES)
    assert zh == en
    assert {"backup-and-restore", "backup-pg-dump", "backup-drill", "backup-media", "cutover", "alerts"} <= set(en)


def test_both_languages_have_the_same_alert_sections():
    zh, en = (ALERT.findall(_text(language)) for language in PAGES)
    assert zh == en
    assert len(en) >= 10


def test_both_languages_give_the_same_commands():
    zh, en = (_commands(_text(language)) for language in PAGES)
    assert zh == en
    assert any(command.startswith("'pg_dump --format=custom") for command in en)


@pytest.mark.parametrize("language", PAGES)
def test_every_file_of_deploy_the_guide_names_exists(language):
    named = set(DEPLOY_PATH.findall(_text(language)))
    assert "deploy/tools/db-tools.yaml" in named
    for path in named:
        candidates = [ROOT / path, ROOT / "deploy" / path]
        assert any(candidate.exists() for candidate in candidates), f"docs/{language}/operations.md names {path}"


def test_deploy_readme_points_at_the_guide_and_no_longer_holds_the_runbook():
    readme = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    assert "docs/zh-TW/operations.md" in readme
    assert "docs/en/operations.md" in readme
    assert "/docs/operations.html" in readme
    assert not ALERT.search(readme)
