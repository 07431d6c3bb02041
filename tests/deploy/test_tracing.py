"""OpenTelemetry: off by default; on, one trace follows a request into its Celery task and on
into the SMS provider's HTTP call and the SFTP upload, exported over OTLP/HTTP.

The collector is a real local HTTP server that decodes the OTLP protobuf payloads.
"""

import json
import subprocess
import sys
import textwrap
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from django.conf import settings
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from luckygas import tracing
from tests import servers
from tests.deploy.rendering import ROOT


class _Collector(BaseHTTPRequestHandler):
    spans: list[dict]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/v1/traces":
            request = ExportTraceServiceRequest.FromString(body)
            for resource_spans in request.resource_spans:
                service = next(
                    a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"
                )
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        attributes = {a.key: a.value.string_value or a.value.int_value for a in span.attributes}
                        self.server.spans.append(
                            {"name": span.name, "trace_id": span.trace_id.hex(), "service": service, **attributes}
                        )
        self.send_response(200)
        self.end_headers()

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def collector():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.spans = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_tracing_is_off_by_default(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert tracing.tracing_is_enabled() is False
    assert tracing.configure_tracing(service_name="luckygas-web") is False
    # an endpoint alone is not enough while the SDK is disabled (the base ConfigMap's setting)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert tracing.tracing_is_enabled() is False
    with tracing.span("sftp.upload"):
        pass  # free and harmless when off


SCRIPT = textwrap.dedent(
    """
    import os, sys
    import django
    from luckygas.tracing import configure_tracing, shutdown_tracing, span

    assert configure_tracing(service_name="luckygas-web")
    django.setup()
    import httpx
    from django.test import Client
    from opentelemetry import trace
    from luckygas.celery import app

    with trace.get_tracer("test").start_as_current_span("office.request") as root:
        assert Client().get("/readyz").status_code == 200
        app.send_task("sms.send_message", args=[1], queue=os.environ["TRACE_QUEUE"])
        httpx.get(os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] + "/sms-provider")
        with span("sftp.upload", bank="test"):
            pass
    shutdown_tracing()
    print(format(root.get_span_context().trace_id, "032x"))
    """
)


def test_one_trace_follows_a_request_into_its_task_the_sms_call_and_the_sftp_upload(db, collector):
    # given tracing switched on, exporting to the local collector
    queue = f"trace-test-{uuid.uuid4().hex[:8]}"
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "luckygas.settings",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": servers.test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "OTEL_SDK_DISABLED": "false",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.server_port}",
        "OTEL_SERVICE_NAME": "luckygas-web",
        "TRACE_QUEUE": queue,
    }
    # when a request is served, a task enqueued, the SMS provider called and a file uploaded
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    trace_id = result.stdout.strip().splitlines()[-1]
    # then every span shares the request's trace
    spans = collector.spans
    assert {span["trace_id"] for span in spans} == {trace_id}, spans
    assert {span["service"] for span in spans} == {"luckygas-web"}
    names = [span["name"] for span in spans]
    assert "office.request" in names
    django_spans = [span for span in spans if str(span.get("http.route", "")).startswith("readyz")]
    assert len(django_spans) == 1, names
    database_spans = [span for span in spans if "postgresql" in (span.get("db.system"), span.get("db.system.name"))]
    assert database_spans, names
    assert "apply_async/sms.send_message" in names
    assert "sftp.upload" in names
    assert len([name for name in names if name == "GET"]) == 1  # the httpx call to the provider
    # and the task message carries the trace to the worker
    raw = redis.Redis.from_url(settings.REDIS_URL).lpop(queue)
    headers = json.loads(raw)["headers"]
    assert headers["traceparent"].split("-")[1] == trace_id
