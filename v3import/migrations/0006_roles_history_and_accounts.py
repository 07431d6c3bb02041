"""Office staff, managers and administrators may read v3's delivery records and the bank accounts v3 held."""

from django.db import migrations

from luckygas.delivery import roles

VIEW = ["view_deliveryrecord", "view_deliveryrecordline", "view_v3debitaccount"]


def grant(apps, schema_editor):
    roles.grant_permissions(apps, "v3import", {roles.OFFICE: VIEW, roles.MANAGER: VIEW, roles.ADMIN: VIEW})


class Migration(migrations.Migration):
    dependencies = [("v3import", "0005_v3_debit_accounts")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
