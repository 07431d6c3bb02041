"""The driver PWA's pages: the app shell at `/driver/`, its web manifest and its service worker.

The app itself is static JavaScript (`static/offline_sync/js/`); it talks only to the sync API
(`/api/v1/driver/`). The service worker is served from `/driver/sw.js` so that its scope is
`/driver/`, never cached by HTTP (the browser checks it for a new version on every visit), and
carries a version digest of every shell file, so a deploy that changes any of them installs a
new worker that caches the new shell and drops the old one.
"""

import functools
import hashlib
import json
from collections.abc import Callable

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# Every static file the app needs to open offline (the vendored idb comes from npm via make assets).
SHELL_STATIC = (
    "offline_sync/css/driver.css",
    "offline_sync/js/actions.js",
    "offline_sync/js/api.js",
    "offline_sync/js/app.js",
    "offline_sync/js/backoff.js",
    "offline_sync/js/crypto.js",
    "offline_sync/js/device.js",
    "offline_sync/js/dom.js",
    "offline_sync/js/gps.js",
    "offline_sync/js/i18n.js",
    "offline_sync/js/image.js",
    "offline_sync/js/list-view.js",
    "offline_sync/js/live.js",
    "offline_sync/js/notify.js",
    "offline_sync/js/outcome.js",
    "offline_sync/js/screen.js",
    "offline_sync/js/session.js",
    "offline_sync/js/skip.js",
    "offline_sync/js/state.js",
    "offline_sync/js/status.js",
    "offline_sync/js/status-bar.js",
    "offline_sync/js/stop-view.js",
    "offline_sync/js/stops.js",
    "offline_sync/js/storage.js",
    "offline_sync/js/storage-budget.js",
    "offline_sync/js/storage-core.js",
    "offline_sync/js/storage-purge.js",
    "offline_sync/js/storage-queue.js",
    "offline_sync/js/sync.js",
    "offline_sync/icons/icon-192.png",
    "offline_sync/icons/icon-512.png",
    "offline_sync/icons/icon-maskable-512.png",
    "vendor/idb/index.js",
)
# The modules the service worker imports (its pushes and Background Sync reuse the app's code).
WORKER_MODULES = ("api", "i18n", "notify", "storage", "sync")
# Plain (unhashed) URLs: the modules import each other by relative path, and the service worker
# caches exactly what the page asks for; its version digest does the cache busting.


def static_url(path: str) -> str:
    return f"{settings.STATIC_URL}{path}"


def _read_static(path: str) -> bytes:
    if staticfiles_storage.exists(path):
        with staticfiles_storage.open(path) as handle:
            return handle.read()
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"{path} is missing: run `make assets static`")
    with open(found, "rb") as handle:
        return handle.read()


@functools.cache
def shell_version() -> str:
    return compute_shell_version(read=_read_static)


def compute_shell_version(*, read: Callable[[str], bytes]) -> str:
    """A digest of the shell files and templates: changes whenever any of them changes."""
    digest = hashlib.sha256()
    for path in SHELL_STATIC:
        digest.update(path.encode())
        digest.update(read(path))
    for template in ("offline_sync/driver.html", "offline_sync/sw.js"):
        digest.update(render_to_string(template, _template_context(version="")).encode())
    return digest.hexdigest()[:16]


def _template_context(*, version: str) -> dict:
    app_url = reverse("driver-app")
    return {
        "version": version,
        "app_url": app_url,
        "stylesheet": static_url("offline_sync/css/driver.css"),
        "app_script": static_url("offline_sync/js/app.js"),
        "modules": {name: static_url(f"offline_sync/js/{name}.js") for name in WORKER_MODULES},
        "shell_json": json.dumps([app_url, reverse("driver-manifest"), *[static_url(path) for path in SHELL_STATIC]]),
    }


@require_GET
@never_cache
def driver_app(request: HttpRequest) -> HttpResponse:
    """The app shell. No server-side data: the app logs in and loads the route through the API."""
    html = render_to_string("offline_sync/driver.html", _template_context(version=shell_version()), request)
    return HttpResponse(html)


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    app_url = reverse("driver-app")
    icon = static_url
    data = {
        "id": app_url,
        "name": "幸福氣體 司機 LuckyGas Driver",
        "short_name": "幸福氣體司機",
        "description": "LuckyGas 司機送貨：離線也能完成配送，連線後自動同步。",
        "lang": "zh-Hant",
        "start_url": app_url,
        "scope": app_url,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f4f6f9",
        "theme_color": "#0b5cab",
        "icons": [
            {"src": icon("offline_sync/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": icon("offline_sync/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": icon("offline_sync/icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    version = shell_version()
    body = render_to_string("offline_sync/sw.js", _template_context(version=version))
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("driver-app")
    return response
