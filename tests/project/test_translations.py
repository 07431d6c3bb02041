import gettext
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(path for path in ROOT.glob("**/locale/zh_Hant/LC_MESSAGES/django.po") if ".venv" not in path.parts)


def test_every_app_with_user_facing_text_has_a_chinese_catalog():
    apps = {path.relative_to(ROOT).parts[0] for path in CATALOGS}
    assert {"locale", "banking", "dashboard", "offline_sync", "sms"} <= apps


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: str(path.relative_to(ROOT)))
def test_catalog_is_complete_and_declares_utf8(catalog: Path):
    text = catalog.read_text(encoding="utf-8")
    header = text[: text.index('msgid ""\nmsgstr ""') + 40]
    assert "#, fuzzy" not in header, "a fuzzy header is skipped by msgfmt and the .mo loses its charset"
    assert "charset=UTF-8" in text
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalog)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: str(path.relative_to(ROOT)))
def test_translations_name_the_same_bank_file_kinds_as_the_english(catalog: Path, tmp_path: Path):
    """A message about an ACHP02 reply file must not tell the user it is about an ACHR01 return file."""
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(catalog)], check=True)
    with compiled.open("rb") as handle:
        messages = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    wrong = {
        msgid: msgstr
        for msgid, msgstr in messages.items()
        if isinstance(msgid, str)
        and msgid
        and sorted(set(re.findall(r"ACH[PR]0\d", msgid))) != sorted(set(re.findall(r"ACH[PR]0\d", msgstr)))
    }
    assert wrong == {}
