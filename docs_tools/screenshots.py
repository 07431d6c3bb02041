"""The guides' screenshots, made by the app itself, and the check that the guides' steps still work.

Each guide has a steps file, `docs_tools/steps/<guide>.yaml`: who logs in, the screen size, and the steps a
person takes (docs_tools/README.md lists the step kinds). This script drives Debian's Chromium through them
against a running LuckyGas and saves each `screenshot` step as `<out>/<name>.png`. A step whose button, label
or text no longer exists fails with the guide, the step's number and what was missing: the same run is the
guide-steps test in `make test` (tests/docs/test_guide_steps.py) and `make docs-screenshots`.

    python -m docs_tools.screenshots --base-url http://127.0.0.1:8000 [--guide manager] [--out DIR]
    python -m docs_tools.screenshots --demo    # `make docs-screenshots`: its own throwaway `make run` demo
"""

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
STEPS_DIR = Path(__file__).resolve().parent / "steps"
SCREENSHOTS_DIR = ROOT / "docs" / "assets" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
DEMO_PASSWORD = "luckygas-demo"  # noqa: S105 (seed_demo's public demo logins, README)
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}
STEP_KINDS = (
    "goto",
    "expect",
    "fill",
    "select",
    "check",
    "click",
    "wait_for",
    "scroll",
    "upload",
    "sign",
    "offline",
    "screenshot",
)
# A signature as a driver's finger draws it on a canvas: strokes of points in fractions of its width and height.
SIGNATURE_STROKES = (
    ((0.08, 0.70), (0.14, 0.30), (0.20, 0.72), (0.27, 0.35), (0.33, 0.70), (0.40, 0.55)),
    ((0.45, 0.40), (0.52, 0.68), (0.58, 0.32), (0.66, 0.66), (0.74, 0.38), (0.82, 0.62), (0.92, 0.45)),
)
TIMEOUT_MS = 10_000


class StepFailed(Exception):
    """A guide's step could not be done: the guide names something the app no longer has."""


@dataclass
class Guide:
    name: str
    user: str | None
    viewport: str
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def screenshots(self) -> list[str]:
        return [step["screenshot"] for step in self.steps if "screenshot" in step]


def load_guide(path: Path) -> Guide:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    name = data.get("guide") or path.stem
    viewport = data.get("viewport", "desktop")
    if viewport not in VIEWPORTS:
        raise StepFailed(f"{path.name}: viewport {viewport!r} is none of {', '.join(VIEWPORTS)}")
    steps = data.get("steps") or []
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict) or len(step) != 1 or next(iter(step)) not in STEP_KINDS:
            raise StepFailed(f"{name}, step {number}: {step!r} is not one of {', '.join(STEP_KINDS)}")
        if "screenshot" in step and not re.fullmatch(rf"{re.escape(name)}-[a-z0-9-]+", str(step["screenshot"])):
            raise StepFailed(f"{name}, step {number}: a screenshot's name is '{name}-' and lower-case words")
    return Guide(name=name, user=data.get("user"), viewport=viewport, steps=steps)


def load_guides(names: Iterable[str] = ()) -> list[Guide]:
    wanted = set(names)
    guides = [load_guide(path) for path in sorted(STEPS_DIR.glob("*.yaml"))]
    unknown = wanted - {guide.name for guide in guides}
    if unknown:
        raise StepFailed(f"no steps file for {', '.join(sorted(unknown))} in {STEPS_DIR}")
    return [guide for guide in guides if not wanted or guide.name in wanted]


def _locator(page, target: Any):
    """What a step points at: {role, name}, {label}, {text}, or a bare string (visible text)."""
    if isinstance(target, str):
        return page.get_by_text(target, exact=False).first, f"the text 「{target}」"
    if "role" in target:
        return page.get_by_role(target["role"], name=target["name"], exact=target.get("exact", False)).first, (
            f"a {target['role']} named 「{target['name']}」"
        )
    if "label" in target:
        return page.get_by_label(target["label"], exact=target.get("exact", False)).first, (
            f"a field labelled 「{target['label']}」"
        )
    if "text" in target:
        text = target["text"]
        return page.get_by_text(text, exact=target.get("exact", False)).first, f"the text 「{text}」"
    raise StepFailed(f"{target!r} names no role, label or text")


def _sign(page, canvas) -> None:
    """Draw SIGNATURE_STROKES on a canvas with the mouse (pointer events, as a finger's)."""
    canvas.scroll_into_view_if_needed(timeout=TIMEOUT_MS)
    box = canvas.bounding_box()
    if box is None:
        raise StepFailed("the canvas has no size")
    for stroke in SIGNATURE_STROKES:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=4)
        page.mouse.up()


def _do(
    page, base_url: str, kind: str, value: Any, out_dir: Path, signal: dict[str, bool] | None = None
) -> Path | None:
    if kind == "offline":
        # The phone loses (True) or finds (False) its signal: the page hears `offline` / `online`, and
        # run_guide's route also refuses the service worker's requests, which set_offline lets through.
        if signal is not None:
            signal["offline"] = bool(value)
        page.context.set_offline(bool(value))
        page.wait_for_function("wanted => navigator.onLine === wanted", arg=not value)
        page.wait_for_timeout(300)  # the app's own `online` / `offline` handlers
        return None
    if kind == "goto":
        response = page.goto(base_url + value, wait_until="networkidle")
        if response is not None and response.status >= 400:
            raise StepFailed(f"{value} answered {response.status}")
        return None
    if kind == "screenshot":
        path = out_dir / f"{value}.png"
        page.screenshot(path=str(path), full_page=False, animations="disabled", caret="hide")
        return path
    target = value if kind in ("expect", "wait_for", "click", "check", "scroll", "sign") else {"label": value["label"]}
    locator, described = _locator(page, target)
    try:
        if kind in ("expect", "wait_for"):
            locator.wait_for(state="visible", timeout=TIMEOUT_MS)
        elif kind == "click" and isinstance(value, dict) and "confirm" in value:
            _click_and_confirm(page, locator, described, str(value["confirm"]))
        elif kind == "click":
            locator.click(timeout=TIMEOUT_MS)
            page.wait_for_load_state("networkidle")
        elif kind == "check":
            locator.check(timeout=TIMEOUT_MS)
        elif kind == "scroll":
            locator.scroll_into_view_if_needed(timeout=TIMEOUT_MS)
        elif kind == "sign":
            _sign(page, locator)
        elif kind == "upload":
            locator.set_input_files(_upload_path(value["file"]), timeout=TIMEOUT_MS)
            page.wait_for_load_state("networkidle")
        elif kind == "fill":
            locator.fill(str(value["value"]), timeout=TIMEOUT_MS)
        elif kind == "select":
            locator.select_option(label=str(value["option"]), timeout=TIMEOUT_MS)
    except Exception as error:  # Playwright's TimeoutError and "no such option" alike
        if error.__class__.__name__ not in ("TimeoutError", "Error"):
            raise
        detail = f" with the option 「{value['option']}」" if kind == "select" else ""
        raise StepFailed(f"{kind}: {described}{detail} is not on {page.url}") from None
    return None


def _click_and_confirm(page, locator, described: str, words: str) -> None:
    """Click, and answer OK to the browser's confirmation, which must ask `words` (Playwright dismisses others)."""
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        if words in dialog.message:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", answer)
    locator.click(timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")
    if not asked:
        raise StepFailed(f"click: {described} asked for no confirmation 「{words}」 on {page.url}")
    if words not in asked[0]:
        raise StepFailed(f"click: {described} asked 「{asked[0]}」, not 「{words}」")


def _upload_path(name: str) -> Path:
    """A file a step uploads: a path from the repository's root (docs_tools/delivery-photo.jpg)."""
    path = (ROOT / name).resolve()
    if not path.is_file() or ROOT not in path.parents:
        raise StepFailed(f"no file {name} in the repository to upload")
    return path


def _log_in(page, base_url: str, user: str) -> None:
    page.goto(f"{base_url}/admin/login/", wait_until="networkidle")
    page.locator("#id_username").fill(user)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("input[type=submit], button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    if "/admin/login/" in page.url:
        raise StepFailed(f"cannot log in as {user!r} with the demo password (is the demo seeded?)")


def run_guide(browser, base_url: str, guide: Guide, out_dir: Path) -> list[Path]:
    """Every step of one guide in a fresh browser context; the pictures it saved."""
    out_dir.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="zh-TW", timezone_id="Asia/Taipei", **VIEWPORTS[guide.viewport])
    host = urlsplit(base_url).netloc
    # The guides are made offline: map tiles and anything not this server are refused, never fetched;
    # after an `offline: true` step, this server too.
    signal = {"offline": False}
    context.route(
        re.compile(r"^https?://"),
        lambda route: (
            route.continue_()
            if urlsplit(route.request.url).netloc == host and not signal["offline"]
            else route.abort("internetdisconnected")
        ),
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    saved: list[Path] = []
    try:
        if guide.user:
            _log_in(page, base_url, guide.user)
        for number, step in enumerate(guide.steps, start=1):
            kind, value = next(iter(step.items()))
            try:
                path = _do(page, base_url, kind, value, out_dir, signal)
            except StepFailed as failure:
                raise StepFailed(f"guide {guide.name}, step {number} ({kind}): {failure}") from None
            if path is not None:
                saved.append(path)
    finally:
        context.close()
    return saved


@contextlib.contextmanager
def demo_server() -> Iterator[str]:
    """The `make run` demo (SQLite, in-memory channels, eager Celery, seed_demo) on a throwaway database."""
    with tempfile.TemporaryDirectory(prefix="luckygas-docs-") as directory:
        env = {
            key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG")
        }
        env.update(DATABASE_URL=f"sqlite:///{directory}/demo.sqlite3", DJANGO_DEBUG="1")
        for command in (["migrate", "--no-input", "-v0"], ["seed_demo"]):
            subprocess.run(  # noqa: S603 (this interpreter and manage.py)
                [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )
        from tests.servers import run_uvicorn  # the test suite's loopback server, with the dev dependencies

        with contextlib.ExitStack() as stack:
            try:
                url = stack.enter_context(run_uvicorn(env, timeout=60))
            except RuntimeError as error:
                raise StepFailed(f"the demo server did not start: {error}") from None
            yield url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--guide", action="append", default=[], help="only this guide (repeatable)")
    parser.add_argument("--out", type=Path, default=SCREENSHOTS_DIR)
    parser.add_argument("--demo", action="store_true", help="serve a throwaway `make run` demo and use it")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    try:
        guides = load_guides(args.guide)
        server = demo_server() if args.demo else contextlib.nullcontext(args.base_url)
        with server as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                for guide in guides:
                    saved = run_guide(browser, base_url.rstrip("/"), guide, args.out)
                    sys.stdout.write(f"{guide.name}: {len(guide.steps)} steps, {len(saved)} screenshots\n")
            finally:
                browser.close()
    except StepFailed as failure:
        sys.stderr.write(f"guide steps failed: {failure}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
