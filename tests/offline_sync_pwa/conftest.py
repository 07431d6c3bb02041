from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.special import RunPython

from tests.servers import run_asgi_server


@pytest.fixture
def role_groups_restored(transactional_db) -> None:
    """Put back the role groups and their permissions, which data migrations create.

    A transactional test ends by flushing every table, and the serialized rollback that would
    restore them does not survive Playwright's sync API (the connection objects are per context).
    So re-run the `*_roles` data migrations against the migrated state.
    """
    from django.contrib.auth.models import Group

    loader = MigrationLoader(connection)
    roles_migrations = [key for key in loader.disk_migrations if key[1].endswith("_roles")]
    if Group.objects.count() >= 4 and all(
        Group.objects.filter(permissions__content_type__app_label=app_label).exists()
        for app_label, _ in roles_migrations
    ):
        return
    state = loader.project_state(roles_migrations)
    with connection.schema_editor(atomic=True) as schema_editor:
        for key in sorted(roles_migrations):
            for operation in loader.disk_migrations[key].operations:
                if isinstance(operation, RunPython):
                    operation.code(state.apps, schema_editor)


def serve_driver_app(extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """One uvicorn (tests/servers.py) for a module's browser tests, on the test database.

    Starting uvicorn once instead of per test saves a lot on a loaded machine; it is retried
    because its start deadline can pass when the shared cores are saturated.
    """
    last_error: RuntimeError | None = None
    for _attempt in range(3):
        server = run_asgi_server(extra_env)
        try:
            url = server.__enter__()
        except RuntimeError as error:
            last_error = error
            continue
        try:
            yield url
        finally:
            server.__exit__(None, None, None)
        return
    raise last_error or RuntimeError("uvicorn did not start")


@pytest.fixture(scope="module")
def driver_app_server(django_db_setup) -> Iterator[str]:
    yield from serve_driver_app()
