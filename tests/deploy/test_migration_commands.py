"""`luckygas migrate` and `luckygas wait-for-migrations` (the Job and web's init container)."""

import psycopg
import pytest
from django.db import connection

from tests import servers
from tests.deploy.processes import container_env, started, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def empty_database():
    """A fresh database with no table at all, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_empty"
    admin_url = servers.test_database_url().rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_web_waits_while_migrations_are_pending_then_starts_once_the_job_ran(db, empty_database, tmp_path):
    env = container_env(
        tmp_path, DATABASE_URL=empty_database, WAIT_FOR_MIGRATIONS_TIMEOUT="600", WAIT_FOR_MIGRATIONS_INTERVAL="1"
    )
    # given web's init container waiting on an unmigrated database
    with started(["wait-for-migrations"], env, tmp_path / "wait.log") as waiting:
        wait_for(
            lambda: "waiting for the migration Job" in (tmp_path / "wait.log").read_text(encoding="utf-8"),
            timeout=60,
            process=waiting,
            log=tmp_path / "wait.log",
        )
        assert waiting.poll() is None
        # when the migration Job runs
        with started(["migrate"], env, tmp_path / "migrate.log") as migrate:
            assert migrate.wait(timeout=300) == 0, (tmp_path / "migrate.log").read_text(encoding="utf-8")
        # then the init container finishes and web may start
        assert waiting.wait(timeout=60) == 0
    with psycopg.connect(empty_database) as database:
        flags = database.execute("SELECT name FROM waffle_switch UNION SELECT name FROM waffle_flag").fetchall()
    assert sorted(row[0] for row in flags) == ["driver_app_beta", "sms_marketing"]


def test_waiting_gives_up_with_a_clear_message(db, empty_database, tmp_path):
    env = container_env(
        tmp_path, DATABASE_URL=empty_database, WAIT_FOR_MIGRATIONS_TIMEOUT="2", WAIT_FOR_MIGRATIONS_INTERVAL="1"
    )
    log = tmp_path / "wait.log"
    with started(["wait-for-migrations"], env, log) as waiting:
        assert waiting.wait(timeout=120) == 1
    assert "migrations still pending after 2 s: has the migration Job of this release run?" in log.read_text(
        encoding="utf-8"
    )
