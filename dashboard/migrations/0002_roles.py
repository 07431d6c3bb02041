from django.db import migrations

from luckygas.delivery.roles import grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        "dashboard",
        {
            "manager": ["view_dailyrollup", "view_exportjob"],
            "admin": [
                "view_dailyrollup",
                "view_exportjob",
                "view_reportdelivery",
                "view_reportsubscription",
                "add_reportsubscription",
                "change_reportsubscription",
                "delete_reportsubscription",
            ],
        },
    )
    # Admins pick or create the crontab of a subscription.
    grant_permissions(
        apps,
        "django_celery_beat",
        {"admin": ["view_crontabschedule", "add_crontabschedule", "change_crontabschedule"]},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("delivery", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
