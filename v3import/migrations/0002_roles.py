"""Office staff, managers and administrators may read the import runs and their exceptions."""

from django.db import migrations

from luckygas.delivery import roles

VIEW = ["view_importrun", "view_importexception"]


def grant(apps, schema_editor):
    roles.grant_permissions(apps, "v3import", {roles.OFFICE: VIEW, roles.MANAGER: VIEW, roles.ADMIN: VIEW})


class Migration(migrations.Migration):
    dependencies = [("v3import", "0001_initial"), ("delivery", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
