from django.db import migrations

from luckygas.delivery.roles import grant_permissions


def grant(apps, schema_editor):
    # Office staff dispatch: they keep depots and shifts and look at plans (plans are written by the planning page).
    office = [
        *(f"{action}_{model}" for model in ("depot", "vehicleshift") for action in ("view", "add", "change")),
        "view_plandraft",
    ]
    grant_permissions(
        apps,
        "dispatch",
        {
            "office": office,
            "manager": ["view_depot", "view_vehicleshift", "view_plandraft"],
            "admin": [
                *(
                    f"{action}_{model}"
                    for model in ("depot", "vehicleshift")
                    for action in ("view", "add", "change", "delete")
                ),
                "view_plandraft",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0001_initial"), ("delivery", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
