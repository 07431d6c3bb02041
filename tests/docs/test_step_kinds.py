"""The step kinds the driver guide added (docs_tools/README.md): `offline`, `upload`, `sign` and `scroll`, and a
`click` that answers a confirmation, run by the same code as the guides against a small page of our own (no demo
needed), and their refusals."""

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from docs_tools.screenshots import StepFailed, load_guide, run_guide

pytestmark = [pytest.mark.browser]

PAGE = """<!doctype html>
<html lang="zh-Hant"><head><meta charset="utf-8"></head>
<body>
<p id="network" style="position: fixed; top: 0">?</p>
<p id="scrolled" style="position: fixed; top: 2em">未捲動</p>
<label>拍照 <input type="file" name="photo" accept="image/*"></label>
<p id="photo">沒有照片</p>
<p style="height: 2000px">…</p>
<canvas width="300" height="120" aria-label="客戶簽名" style="touch-action: none"></canvas>
<p id="ink">沒有簽名</p>
<button id="publish" style="position: fixed; top: 4em">發布</button>
<button style="position: fixed; top: 6em">儲存</button>
<p id="published" style="position: fixed; top: 8em">未發布</p>
<script>
  document.getElementById("publish").addEventListener("click", () => {
    document.getElementById("published").textContent = confirm("確定發布此規劃？") ? "已發布" : "取消發布";
  });
  const network = document.getElementById("network");
  const show = () => (network.textContent = navigator.onLine ? "有訊號" : "沒有訊號");
  show();
  addEventListener("online", show);
  addEventListener("offline", show);
  addEventListener("scroll", () => (document.getElementById("scrolled").textContent = "已捲動"));
  document.querySelector("input").addEventListener("change", (event) => {
    const file = event.target.files[0];
    document.getElementById("photo").textContent = `收到照片 ${file.name} ${file.type}`;
  });
  let strokes = 0;
  let moves = 0;
  const canvas = document.querySelector("canvas");
  canvas.addEventListener("pointerdown", () => (strokes += 1));
  canvas.addEventListener("pointermove", (event) => {
    if (!event.buttons) return;
    moves += 1;
    document.getElementById("ink").textContent = `簽了 ${strokes} 筆` + (moves >= 10 ? "，夠長" : "");
  });
</script>
</body></html>
"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def page_server(tmp_path_factory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("steps")
    (directory / "page.html").write_text(PAGE, encoding="utf-8")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def steps_file(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "kinds.yaml"
    path.write_text(f"guide: kinds\nviewport: phone\nsteps:\n{steps}", encoding="utf-8")
    return path


def test_offline_upload_sign_and_scroll_do_what_a_driver_does(page_server, chromium, tmp_path):
    # given
    guide = load_guide(
        steps_file(
            tmp_path,
            "  - goto: /page.html\n"
            "  - expect: 有訊號\n"
            "  - offline: true\n"
            "  - expect: 沒有訊號\n"
            "  - offline: false\n"
            "  - expect: 有訊號\n"
            "  - upload: {label: 拍照, file: docs_tools/delivery-photo.jpg}\n"
            "  - expect: 收到照片 delivery-photo.jpg image/jpeg\n"
            "  - expect: 未捲動\n"
            "  - sign: {label: 客戶簽名}\n"
            "  - expect: 簽了 2 筆，夠長\n"
            "  - goto: /page.html\n"
            "  - scroll: 沒有簽名\n"
            "  - expect: 已捲動\n"
            "  - screenshot: kinds-scrolled\n",
        )
    )

    # when
    saved = run_guide(chromium, page_server, guide, tmp_path / "out")

    # then
    assert [path.name for path in saved] == ["kinds-scrolled.png"]


@pytest.mark.parametrize(
    ("file", "error"),
    [
        ("docs_tools/no-such-photo.jpg", "no file docs_tools/no-such-photo.jpg in the repository to upload"),
        ("../../etc/passwd", "no file ../../etc/passwd in the repository to upload"),
    ],
)
def test_an_upload_of_a_file_not_in_the_repository_fails_naming_the_file(page_server, chromium, tmp_path, file, error):
    guide = load_guide(steps_file(tmp_path, f"  - goto: /page.html\n  - upload: {{label: 拍照, file: {file}}}\n"))

    with pytest.raises(StepFailed, match=rf"guide kinds, step 2 \(upload\): {error}"):
        run_guide(chromium, page_server, guide, tmp_path / "out")


def test_signing_where_there_is_no_such_canvas_fails_naming_it(page_server, chromium, tmp_path):
    guide = load_guide(steps_file(tmp_path, "  - goto: /page.html\n  - sign: {label: 司機簽名}\n"))

    with pytest.raises(
        StepFailed, match=r"guide kinds, step 2 \(sign\): .*a field labelled 「司機簽名」 is not on http"
    ):
        run_guide(chromium, page_server, guide, tmp_path / "out")


def test_the_new_kinds_are_accepted_by_a_steps_file(tmp_path):
    guide = load_guide(
        steps_file(
            tmp_path,
            "  - offline: true\n  - upload: {label: 拍照, file: x.jpg}\n  - sign: {label: 簽名}\n  - scroll: 登出\n",
        )
    )

    assert [next(iter(step)) for step in guide.steps] == ["offline", "upload", "sign", "scroll"]


def test_a_click_answers_the_confirmation_it_names_and_fails_when_another_or_none_is_asked(
    page_server, chromium, tmp_path
):
    confirmed = load_guide(
        steps_file(
            tmp_path,
            "  - goto: /page.html\n"
            "  - click: {role: button, name: 發布, confirm: 確定發布此規劃}\n"
            "  - expect: 已發布\n",
        )
    )
    run_guide(chromium, page_server, confirmed, tmp_path / "out")

    other = load_guide(
        steps_file(tmp_path, "  - goto: /page.html\n  - click: {role: button, name: 發布, confirm: 確定刪除}\n")
    )
    with pytest.raises(StepFailed, match=r"step 2 \(click\): .*發布」 asked 「確定發布此規劃？」, not 「確定刪除」"):
        run_guide(chromium, page_server, other, tmp_path / "out")

    none = load_guide(
        steps_file(tmp_path, "  - goto: /page.html\n  - click: {role: button, name: 儲存, confirm: 確定發布此規劃}\n")
    )
    with pytest.raises(StepFailed, match=r"step 2 \(click\): .*儲存」 asked for no confirmation 「確定發布此規劃」"):
        run_guide(chromium, page_server, none, tmp_path / "out")
