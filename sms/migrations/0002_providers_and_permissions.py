from django.db import migrations

from luckygas.delivery.roles import grant_permissions

PROVIDERS = [
    # name, priority, unit price (0.01 TWD), rate (segments per second)
    ("mitake", 1, 80, 10),
    ("every8d", 2, 75, 10),
    ("twilio", 3, 260, 5),
]


def create_providers(apps, schema_editor):
    provider_model = apps.get_model("sms", "Provider")
    for name, priority, price, rate in PROVIDERS:
        provider_model.objects.get_or_create(
            name=name, defaults={"priority": priority, "unit_price_centi": price, "rate_per_second": rate}
        )


def grant(apps, schema_editor):
    models = ["message", "attempt", "providerevent", "statuschange", "limitbypass"]
    editable = ["template", "templatevariant", "optout", "marketingconsent", "allowlistentry", "provider"]
    grant_permissions(
        apps,
        "sms",
        {
            "office": [f"view_{model}" for model in models]
            + [f"{action}_{model}" for model in editable for action in ("view", "add", "change")]
            + ["change_message"],
            "manager": [f"view_{model}" for model in models + editable],
            "admin": [f"view_{model}" for model in models]
            + ["change_message"]
            + [f"{action}_{model}" for model in editable for action in ("view", "add", "change", "delete")],
            "driver": [],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("sms", "0001_initial"), ("delivery", "0002_roles"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunPython(create_providers, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
