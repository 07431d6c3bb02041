"""Shared personas: an office clerk, a manager, an admin and two drivers."""

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.core import signals
from django.db import close_old_connections, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.special import RunPython

from luckygas.delivery import roles
from tests.delivery.factories import DriverFactory, UserFactory

pytest_plugins = ["tests.exit_guard"]


def _rerun_data_migrations() -> None:
    """Re-create what data migrations put in the database (role groups, beat entries, flags…).

    A transactional test ends by flushing every table, so the next one would start without
    them. Every data migration here is idempotent (get_or_create), so running them again is safe.
    """
    loader = MigrationLoader(connection)
    project_apps = {"delivery", "offline_sync", "sms", "banking", "dashboard", "v3import", "dispatch"}
    plan = []
    for leaf in loader.graph.leaf_nodes():
        plan.extend(key for key in loader.graph.forwards_plan(leaf) if key not in plan)
    with connection.schema_editor(atomic=True) as schema_editor:
        for key in plan:
            migration = loader.graph.nodes[key]
            if key[0] not in project_apps or not any(isinstance(op, RunPython) for op in migration.operations):
                continue
            # A data step sees the models as the schema steps before it in its migration left them.
            state = loader.project_state(key, at_end=False)
            for operation in migration.operations:
                if isinstance(operation, RunPython):
                    operation.code(state.apps, schema_editor)
                else:
                    operation.state_forwards(key[0], state)


@pytest.fixture(autouse=True)
def _banking_development_keys_in_tmp(settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    """seed_demo under DEBUG writes the demo bank's development keys: into a temporary folder, not the checkout."""
    settings.BANKING_DEVELOPMENT_SECRETS_DIR = tmp_path_factory.getbasetemp() / "banking-development-secrets"


@pytest.fixture(autouse=True)
def _migration_data_after_flush(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("django_db")
    is_transactional = "transactional_db" in request.fixturenames or bool(
        marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )
    if not is_transactional:
        return
    request.getfixturevalue("transactional_db")
    if Group.objects.filter(name__in=roles.ALL_ROLES).count() < len(roles.ALL_ROLES):
        _rerun_data_migrations()


def _user_in(role: str, username: str, *, is_staff: bool = True) -> User:
    user = UserFactory(username=username, is_staff=is_staff)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def office_clerk(db) -> User:
    return _user_in(roles.OFFICE, "clerk")


@pytest.fixture
def manager(db) -> User:
    return _user_in(roles.MANAGER, "boss")


@pytest.fixture
def admin_user(db) -> User:
    return _user_in(roles.ADMIN, "chief")


@pytest.fixture
def driver_a(db):
    return DriverFactory(user=_user_in(roles.DRIVER, "driver-a", is_staff=False), name="陳建宏")


@pytest.fixture
def driver_b(db):
    return DriverFactory(user=_user_in(roles.DRIVER, "driver-b", is_staff=False), name="林志豪")


ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, roles.DRIVER, roles.OFFICE, roles.MANAGER, roles.ADMIN)


@pytest.fixture
def user_in_role(db) -> Callable[[str], User | None]:
    """The one role-group fixture: `user_in_role(role)` gives a user of that group (a driver comes
    with its Driver row, not staff), or None for "anonymous"; the same user for the same role."""
    made: dict[str, User | None] = {}

    def make(role: str) -> User | None:
        if role not in made:
            if role == ANONYMOUS:
                made[role] = None
            elif role == roles.DRIVER:
                made[role] = DriverFactory(user=_user_in(roles.DRIVER, "role-driver", is_staff=False)).user
            else:
                made[role] = _user_in(role, f"role-{role}")
        return made[role]

    return make


# Real servers (uvicorn, Chromium) for end-to-end tests; see tests/servers.py.
from tests.servers import asgi_server, browser_context, chromium  # noqa: E402, F401


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """As Django's test client does: keep the test's connection (and transaction) across requests
    made by a WSGI caller that is not the test client (schemathesis)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
