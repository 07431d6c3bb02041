"""ASGI entry point: HTTP through Django, websockets through Channels.

Each app that speaks websockets exposes `websocket_urlpatterns` in its `routing.py`.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luckygas.settings")

from luckygas.tracing import configure_tracing

configure_tracing(service_name="luckygas-web")  # off unless OTEL_EXPORTER_OTLP_ENDPOINT is set
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from dashboard.lifespan import dashboard_lifespan  # noqa: E402
from dashboard.routing import websocket_urlpatterns as dashboard_websockets  # noqa: E402
from offline_sync.routing import websocket_urlpatterns as driver_websockets  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Starts the embedded dashboard ticker of `make run` without Redis (see dashboard/lifespan.py).
        "lifespan": dashboard_lifespan,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([*driver_websockets, *dashboard_websockets]))
        ),
    }
)
