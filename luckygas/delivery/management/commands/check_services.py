from typing import Any

import psycopg
import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from luckygas.redis import redis_client


class Command(BaseCommand):
    help = "Check that the PostgreSQL server and Redis the settings name are reachable (used by `make test`)."

    def handle(self, *args: Any, **options: Any) -> None:
        database = settings.DATABASES["default"]
        problems = []
        if database["ENGINE"] != "django.db.backends.postgresql":
            problems.append("DATABASE_URL does not name PostgreSQL; the tests run on PostgreSQL only.")
        else:
            try:
                psycopg.connect(
                    host=database["HOST"] or "127.0.0.1",
                    port=database["PORT"] or 5432,
                    user=database["USER"],
                    password=database["PASSWORD"] or None,
                    dbname="postgres",
                    connect_timeout=3,
                ).close()
            except psycopg.Error as error:
                problems.append(
                    f"PostgreSQL at {database['HOST']}:{database['PORT']} is unreachable ({error}). Start it with: "
                    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
                )
        if not settings.REDIS_URL:
            problems.append("REDIS_URL is not set; the tests need a real Redis.")
        else:
            try:
                redis_client(connect_timeout=3).ping()
            except redis.RedisError as error:
                problems.append(
                    f"Redis at {settings.REDIS_URL} is unreachable ({error}). Start it with: "
                    "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no"
                )
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("PostgreSQL and Redis are reachable.")
