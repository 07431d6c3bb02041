"""The guides' steps are tests: each steps file runs in Chromium against the `make run` demo (SQLite, seed_demo),
so a button, label or text a guide names that no longer exists fails here; and every picture a guide shows is
made by a step, every picture a step makes is shown by its guide, every page exists in both languages."""

import re
import subprocess
import sys

import pytest

from docs_tools.screenshots import ROOT, SCREENSHOTS_DIR, StepFailed, demo_server, load_guide, load_guides, run_guide

DOCS = ROOT / "docs"
LANGUAGES = ("zh-TW", "en")
PICTURE = re.compile(r"\]\(\.\./assets/screenshots/([a-z0-9-]+)\.png\)")
GUIDES = [guide.name for guide in load_guides()]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo():
    with demo_server() as url:
        yield url


@pytest.mark.parametrize("name", GUIDES)
def test_every_step_of_the_guide_works_on_the_make_run_demo(name, demo, chromium, tmp_path):
    guide = load_guides([name])[0]
    saved = run_guide(chromium, demo, guide, tmp_path)
    assert [path.stem for path in saved] == guide.screenshots
    assert all(path.stat().st_size > 10_000 for path in saved)  # a picture of a page, not a blank


def test_a_step_naming_a_button_that_is_gone_fails_naming_guide_step_and_button(demo, chromium, tmp_path):
    steps = tmp_path / "office.yaml"
    steps.write_text(
        "guide: office\nuser: office\nsteps:\n  - goto: /admin/\n  - click: {role: button, name: 不存在的按鈕}\n",
        encoding="utf-8",
    )
    with pytest.raises(StepFailed, match=r"guide office, step 2 \(click\): .*不存在的按鈕.* is not on http"):
        run_guide(chromium, demo, load_guide(steps), tmp_path)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("guide: office\nsteps:\n  - press: 儲存\n", "office, step 1"),
        ("guide: office\nviewport: tablet\nsteps: []\n", "viewport 'tablet'"),
        ("guide: office\nsteps:\n  - screenshot: Driver Picture\n", "a screenshot's name is 'office-'"),
    ],
)
def test_a_malformed_steps_file_is_refused_before_any_browser_starts(text, error, tmp_path):
    path = tmp_path / "office.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StepFailed, match=re.escape(error)):
        load_guide(path)


def test_every_picture_a_guide_shows_is_made_by_its_steps_and_every_made_picture_is_shown():
    for guide in load_guides():
        made = set(guide.screenshots)
        assert len(made) == len(guide.screenshots), f"{guide.name}: a screenshot name twice"
        for language in LANGUAGES:
            shown = set(PICTURE.findall((DOCS / language / f"{guide.name}.md").read_text(encoding="utf-8")))
            assert shown <= made, f"{language}/{guide.name}.md shows pictures no step makes: {shown - made}"
            assert made <= shown, f"{language}/{guide.name}.md does not show {made - shown}"
        assert all((SCREENSHOTS_DIR / f"{name}.png").exists() for name in made), "run make docs-screenshots"
    committed = {path.stem for path in SCREENSHOTS_DIR.glob("*.png")}
    assert committed == {name for guide in load_guides() for name in guide.screenshots}, "stale pictures"


def test_every_page_exists_in_both_languages():
    pages = {
        language: {path.relative_to(DOCS / language) for path in (DOCS / language).rglob("*.md")}
        for language in LANGUAGES
    }
    assert pages["zh-TW"] == pages["en"]


def test_the_site_builds_strictly_and_a_missing_picture_fails_the_build(tmp_path):
    build = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file"]
    ok = subprocess.run(
        [*build, str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert (tmp_path / "site" / "en" / "manager.html").exists()
    broken = tmp_path / "broken"
    (broken / "docs").mkdir(parents=True)
    config = (
        (ROOT / "mkdocs.yml")
        .read_text(encoding="utf-8")
        .replace("site_dir: build/root/docs", f"site_dir: {tmp_path / 'out'}")
    )
    for language in LANGUAGES:
        (broken / "docs" / language).symlink_to(DOCS / language)
    (broken / "docs" / "assets").mkdir()  # the pictures are gone
    (broken / "mkdocs.yml").write_text(config, encoding="utf-8")
    failed = subprocess.run([*build, str(broken / "mkdocs.yml")], capture_output=True, text=True, check=False)
    assert failed.returncode != 0
    assert "manager-dashboard.png" in failed.stderr
