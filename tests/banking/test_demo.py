"""The demo's banking data: a draft batch the office prepared, for the finance guide's approval step."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from banking import secrets as bank_secrets
from banking import services
from banking.demo import DEMO_BATCH_INVOICES
from banking.models import AuditRecord, BatchStatus, CollectionBatch
from luckygas.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.DEBUG = True  # `make run` seeds with DJANGO_DEBUG=1: the demo bank gets development keys
    settings.BANKING_DEVELOPMENT_SECRETS_DIR = tmp_path / "banking-secrets"
    bank_secrets.secrets.clear()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # no broker in the demo
    yield settings
    celery_app.conf.task_always_eager = eager
    bank_secrets.secrets.clear()


def test_the_demo_has_one_draft_batch_prepared_by_the_office_for_someone_else_to_approve(
    demo_settings, client, django_capture_on_commit_callbacks
) -> None:
    # given a fresh demo, seeded twice
    call_command("seed_demo", customers=60, orders=400, stdout=io.StringIO())
    call_command("seed_demo", customers=60, orders=400, stdout=io.StringIO())
    # then there is exactly one batch: a draft of a few due invoices, prepared by the office
    users = get_user_model().objects
    batch = CollectionBatch.objects.get()
    assert (batch.status, batch.prepared_by.get_username()) == (BatchStatus.DRAFT, "office")
    assert 1 <= batch.item_count <= DEMO_BATCH_INVOICES
    assert batch.total_amount == sum(batch.items.values_list("amount", flat=True))
    # the office (the maker) can't approve it
    with pytest.raises(PermissionDenied):
        services.batch_approve(batch=batch, approver=users.get(username="office"))
    # and the admin approves it as the finance guide says: tick it, 核准所選批次, 執行
    client.force_login(users.get(username="admin"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/banking/collectionbatch/", {"action": "approve", "_selected_action": [batch.pk]}, follow=True
        )
    assert "已核准 1 個批次。" in [str(message) for message in response.context["messages"]]
    batch.refresh_from_db()
    assert (batch.approved_by.get_username(), batch.status) == ("admin", BatchStatus.GENERATED)
    assert list(AuditRecord.objects.filter(batch_id_ref=batch.pk).values_list("action", "actor").order_by("pk"))[
        :2
    ] == [
        ("batch.prepared", "office"),
        ("batch.approved", "admin"),
    ]
