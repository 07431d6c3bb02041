import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.special import RunPython


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
