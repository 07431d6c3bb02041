"""Web processes under ASGI share a bounded psycopg pool instead of stranding connections."""

import concurrent.futures

import httpx
import pytest
from django.db import connection

from tests.servers import run_asgi_server

pytestmark = pytest.mark.django_db(transaction=True)


def _connections_to_this_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_concurrent_requests_share_at_most_the_pool_size_of_connections() -> None:
    # given: a server whose pool holds at most 3 connections
    before = _connections_to_this_database()
    with run_asgi_server(extra_env={"DATABASE_POOL_MAX_SIZE": "3"}) as url:
        # when: 60 requests that read the database arrive 20 at a time
        with httpx.Client(base_url=url, timeout=30) as client, concurrent.futures.ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(lambda _index: client.get("/readyz").status_code, range(60)))
        during = _connections_to_this_database()

    # then: every request was served, by no more connections than the pool allows
    assert statuses == [200] * 60
    assert during - before <= 3
