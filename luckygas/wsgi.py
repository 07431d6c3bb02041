import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luckygas.settings")

from luckygas.tracing import configure_tracing

configure_tracing(service_name="luckygas-web")  # off unless OTEL_EXPORTER_OTLP_ENDPOINT is set

application = get_wsgi_application()
