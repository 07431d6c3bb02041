"""Create the runtime feature flags (luckygas/feature_flags.py), both off."""

from django.db import migrations

NOTE_SMS = "On: marketing SMS campaigns may be sent. Off: only service SMS (delivery notices, reminders)."
NOTE_DRIVER = "New driver-app features for the drivers covered (users, groups or a percentage)."


def create_flags(apps, schema_editor):
    switch_model = apps.get_model("waffle", "Switch")
    flag_model = apps.get_model("waffle", "Flag")
    switch_model.objects.get_or_create(name="sms_marketing", defaults={"active": False, "note": NOTE_SMS})
    flag_model.objects.get_or_create(
        name="driver_app_beta", defaults={"everyone": None, "percent": None, "note": NOTE_DRIVER}
    )


def remove_flags(apps, schema_editor):
    apps.get_model("waffle", "Switch").objects.filter(name="sms_marketing").delete()
    apps.get_model("waffle", "Flag").objects.filter(name="driver_app_beta").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0002_roles"),
        ("waffle", "0004_update_everyone_nullbooleanfield"),
    ]

    operations = [migrations.RunPython(create_flags, remove_flags)]
