"""OpenTelemetry tracing of Django, Celery, psycopg and httpx, exported over OTLP/HTTP.

Off unless configured: it turns on only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and `OTEL_SDK_DISABLED` is not `true`. Everything
else comes from the standard OpenTelemetry variables (`OTEL_SERVICE_NAME`,
`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`, `OTEL_RESOURCE_ATTRIBUTES`, …).

Celery's instrumentation carries the trace context in task headers, so one trace follows a
request into the task it enqueues and on into the SMS provider's HTTP call (httpx). Code that
talks another protocol (the bank's SFTP) wraps the call in `span("sftp.upload", ...)`.
"""

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_configured = False


def tracing_is_enabled() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def configure_tracing(*, service_name: str) -> bool:
    """Install the tracer provider and instrumentations once per process; True when tracing is on."""
    global _configured
    if not tracing_is_enabled():
        return False
    with _lock:
        if _configured:
            return True
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", service_name)})
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        DjangoInstrumentor().instrument()
        CeleryInstrumentor().instrument()
        PsycopgInstrumentor().instrument(enable_commenter=False)
        HTTPXClientInstrumentor().instrument()
        _configured = True
        return True


def shutdown_tracing() -> None:
    """Flush the spans still buffered (called when a process exits)."""
    if not _configured:
        return
    from opentelemetry import trace

    provider: Any = trace.get_tracer_provider()
    if hasattr(provider, "shutdown"):
        provider.shutdown()


@contextlib.contextmanager
def span(name: str, **attributes: str | int | bool) -> Iterator[None]:
    """A span around work no instrumentation sees (SFTP); free when tracing is off."""
    if not _configured:
        yield
        return
    from opentelemetry import trace

    with trace.get_tracer("luckygas").start_as_current_span(name, attributes=attributes):
        yield
