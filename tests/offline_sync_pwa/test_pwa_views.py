"""The driver app's pages: app shell, web manifest and service worker."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from offline_sync import pwa


@pytest.fixture
def client() -> Client:
    return Client()


def test_app_shell_is_served_without_login_and_never_cached(client: Client) -> None:
    response = client.get("/driver/")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert 'lang="zh-Hant"' in html
    assert 'rel="manifest" href="/driver/manifest.webmanifest"' in html
    assert 'src="/static/offline_sync/js/app.js"' in html
    assert 'data-service-worker="/driver/sw.js"' in html
    assert 'data-scope="/driver/"' in html


def test_manifest_makes_the_app_installable(client: Client) -> None:
    response = client.get(reverse("driver-manifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/driver/"
    assert manifest["scope"] == "/driver/"
    assert manifest["name"].startswith("幸福氣體")
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_service_worker_has_the_driver_scope_no_cache_and_a_versioned_shell(client: Client) -> None:
    response = client.get("/driver/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/driver/"
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    assert f'const VERSION = "{pwa.shell_version()}";' in body
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", body).group(1))
    assert "/driver/" in shell
    assert "/static/vendor/idb/index.js" in shell
    for url in shell:
        assert client.get(url).status_code == 200, url


def test_shell_version_changes_when_a_shell_file_changes() -> None:
    def deployed_v2(path: str) -> bytes:
        return pwa._read_static(path) + (b"// v2" if path.endswith("app.js") else b"")

    assert pwa.compute_shell_version(read=pwa._read_static) == pwa.shell_version()
    assert pwa.compute_shell_version(read=deployed_v2) != pwa.shell_version()


def test_every_module_of_the_driver_app_is_cached_for_offline_use():
    """A module the service worker does not cache breaks the app offline after a reload."""
    from pathlib import Path

    from offline_sync.pwa import SHELL_STATIC

    static = Path(__file__).resolve().parents[2] / "offline_sync" / "static"
    modules = {str(path.relative_to(static)) for path in (static / "offline_sync" / "js").glob("*.js")}
    assert modules - set(SHELL_STATIC) == set()
