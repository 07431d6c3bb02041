"""Every admin, in every app, holds its actions, import and export to the model's permissions (#13)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django_celery_beat.models import CrontabSchedule
from import_export.admin import ExportMixin, ImportMixin

from dashboard.models import ReportDelivery, ReportSubscription
from dashboard.services import report_subscription_save
from luckygas.admin_tools import GuardedImportExportAdmin
from tests.delivery.factories import UserFactory

# Our own apps' admins (django_celery_beat's and auth's are the vendors'; no role holds their
# permissions but the superuser).
OUR_APPS = {"delivery", "banking", "sms", "offline_sync", "dashboard"}
REGISTERED = sorted(
    ((model, model_admin) for model, model_admin in admin.site._registry.items() if model._meta.app_label in OUR_APPS),
    key=lambda item: item[0]._meta.label,
)


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _ in REGISTERED])
def test_every_admin_action_names_the_permission_it_needs(model, model_admin):
    # Django checks an action's allowed_permissions before listing or running it; an action
    # without them runs for anyone who may merely view the changelist.
    unguarded = [
        name
        for function, name, _description in model_admin._get_base_actions()
        if name != "delete_selected" and not getattr(function, "allowed_permissions", ())
    ]

    assert unguarded == []


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _ in REGISTERED])
def test_every_import_or_export_admin_uses_the_guarded_base(model, model_admin):
    if isinstance(model_admin, ImportMixin | ExportMixin):
        assert isinstance(model_admin, GuardedImportExportAdmin)


@pytest.mark.django_db
def test_view_only_user_cannot_send_a_report_now(client):
    # given: a staff user who may only look at report subscriptions
    subscription = report_subscription_save(
        subscription=ReportSubscription(
            name="每日訂單",
            recipients="boss@luckygas.example",
            report="orders",
            export_format="xlsx",
            range_preset="yesterday",
            schedule=CrontabSchedule.objects.create(minute="0", hour="7", timezone="Asia/Taipei"),
        )
    )
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_reportsubscription"))
    client.force_login(viewer)

    # when
    response = client.post(
        "/admin/dashboard/reportsubscription/",
        {"action": "send_now", "_selected_action": [subscription.pk]},
    )

    # then: the action is not offered, nothing is sent
    assert response.status_code == 200
    assert not ReportDelivery.objects.filter(subscription=subscription).exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("driver", 302), ("office", 200), ("manager", 403), ("admin", 200)],
)
def test_customer_import_page_by_role(client, user_in_role, role, expected):
    user = user_in_role(role)
    if user is not None:
        client.force_login(user)

    assert client.get("/admin/delivery/customer/import/").status_code == expected
