"""Liveness and readiness endpoints for Kubernetes probes."""

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive; touches nothing else so a database outage never restarts pods."""
    return JsonResponse({"status": "ok"})


def _database_is_reachable() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any driver error means "not ready"
        connections["default"].close()
        return False
    return True


def _redis_is_reachable() -> bool:
    import redis

    from luckygas.redis import redis_client

    try:
        client = redis_client(timeout=2, connect_timeout=2)
        return bool(client.ping())
    except redis.RedisError:
        return False


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database and, where configured, Redis answer."""
    failing = []
    if not _database_is_reachable():
        failing.append("database")
    if settings.REDIS_URL and not _redis_is_reachable():
        failing.append("redis")
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})
