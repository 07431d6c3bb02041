"""Who may do what with the driver sync records in admin."""

from django.db import migrations

from luckygas.delivery.roles import grant_permissions

PERMISSIONS = {
    "office": [
        "view_driverdevice",
        "change_driverdevice",
        "view_syncaction",
        "view_syncconflict",
        "change_syncconflict",
        "view_cashcollection",
        "change_cashcollection",
        "view_mediaupload",
        "view_stopnote",
        "view_locationpoint",
        "view_changelogentry",
    ],
    "manager": [
        "view_driverdevice",
        "view_syncaction",
        "view_syncconflict",
        "view_cashcollection",
        "view_mediaupload",
        "view_stopnote",
        "view_locationpoint",
        "view_changelogentry",
    ],
    "admin": [
        "view_driverdevice",
        "change_driverdevice",
        "view_syncaction",
        "view_syncconflict",
        "change_syncconflict",
        "view_cashcollection",
        "change_cashcollection",
        "view_mediaupload",
        "view_stopnote",
        "view_locationpoint",
        "view_changelogentry",
    ],
    "driver": [],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "offline_sync", PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("offline_sync", "0001_initial"),
        ("delivery", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
