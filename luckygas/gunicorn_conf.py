"""gunicorn configuration of the web and websocket containers (deploy/docker-entrypoint.sh).

`luckygas web` serves plain HTTP through the WSGI application with gunicorn's sync workers,
chosen by bench/sync_push.py over threaded (gthread) and uvicorn workers: the fastest for /healthz
and for sync pushes on the same machine, and the worker gunicorn recommends behind a buffering
proxy (nginx, the ingress). `luckygas websocket` serves only /ws/ through the ASGI application,
with uvicorn workers (the worker class is given on its command line). Logs are JSON lines on
stdout with personal data masked, like the application's own. gunicorn's workers share one
Prometheus multiprocess directory so /metrics reports the whole pod.
"""

import os
import shutil
from pathlib import Path
from typing import Any

bind = f"{os.environ.get('GUNICORN_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 (in a pod)
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "sync"
# Kubernetes sends SIGTERM after the preStop sleep; running requests get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "45"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Longer than the ingress controller's upstream keep-alive, so nginx closes first.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# Recycle workers now and then so a slow leak never reaches the memory limit.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# The pod is reachable only from the ingress controller (NetworkPolicy): trust its X-Forwarded-*.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/tmp")  # noqa: S108 (an emptyDir)
# No gunicornc control socket (gunicorn ≥ 25.1): nothing here uses it, its default path
# ($HOME/.gunicorn/gunicorn.ctl) would be shared by the web and websocket processes on one host, and
# the pods' root filesystem is read-only; Kubernetes scales and restarts the pods instead.
control_socket_disable = True
# Never import the app in the master: each worker sets up its own connections and tracing.
preload_app = False
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

_JSON_STDOUT = {
    "class": "logging.StreamHandler",
    "stream": "ext://sys.stdout",
    "formatter": "json",
    "filters": ["mask_personal_data"],
}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "luckygas.logging.MaskPersonalDataFilter"}},
    "formatters": {"json": {"()": "luckygas.logging.JsonFormatter"}},
    "handlers": {"stdout": _JSON_STDOUT, "access": _JSON_STDOUT},
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}


def on_starting(server: Any) -> None:
    """Start each pod with an empty Prometheus multiprocess directory."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges from the pod's metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
