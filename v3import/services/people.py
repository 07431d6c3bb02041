"""v3's users, vehicles and drivers: few rows, written one by one through the ORM.

A v3 user becomes an inactive account here, to be invited: v3's password hashes are never carried over
(Django cannot verify them without a hasher we do not install, and an invitation sets a new password).
"""

import unicodedata
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from luckygas.delivery import roles
from luckygas.delivery.models import Driver, Vehicle
from luckygas.delivery.validators import normalize_taiwan_phone
from v3import.models import LegacyUser
from v3import.services import mapping
from v3import.services.context import Context
from v3import.services.upsert import upsert

ROLES = {
    "super_admin": roles.ADMIN,
    "manager": roles.MANAGER,
    "office_staf": roles.OFFICE,  # v3's value has this spelling
    "office_staff": roles.OFFICE,
    "driver": roles.DRIVER,
}


def _role(value: Any) -> str:
    """v3 stores the enum's NAME (OFFICE_STAFF) or, in older rows, its value (office_staf)."""
    text = mapping.clean_text(value).lower()
    return {"super_admin": "super_admin", "office_staff": "office_staf"}.get(text, text)


def users(rows: list[dict[str, Any]], context: Context) -> None:
    user_model = get_user_model()
    groups = {group.name: group for group in Group.objects.filter(name__in=roles.ALL_ROLES)}
    links = {
        link.legacy_id: link
        for link in LegacyUser.objects.filter(legacy_id__in=[row["id"] for row in rows]).select_related("user")
    }
    written = 0
    for row in rows:
        legacy_id = row["id"]
        username = mapping.clean_text(row["username"])[:150]
        role = _role(row["role"])
        link = links.get(legacy_id)
        if link is None:
            if not username or user_model.objects.filter(username=username).exists():
                context.issues.add(
                    "users", legacy_id, "username", username, "username empty or already used here", imported=False
                )
                continue
            user = user_model(username=username, is_active=False)
            user.set_unusable_password()
        else:
            user = link.user
        user.email = mapping.clean_text(row["email"])[:254]
        user.first_name = mapping.clean_text(row["full_name"])[:150]
        user.is_staff = ROLES.get(role) in (roles.ADMIN, roles.MANAGER, roles.OFFICE)
        user.save()
        if link is None:
            link = LegacyUser.objects.create(user=user, legacy_id=legacy_id, role=role)
            context.users[legacy_id] = user.pk
        group = groups.get(ROLES.get(role, ""))
        if group is not None:
            user.groups.add(group)
        elif role != "customer":
            context.issues.add("users", legacy_id, "role", row["role"], "unknown role; no group given")
        written += 1
    context.count("users", written)


def vehicles(rows: list[dict[str, Any]], context: Context) -> None:
    plates = {mapping.clean_text(row["license_plate"]).upper(): row["id"] for row in rows}
    taken = set(
        Vehicle.objects.filter(plate_number__in=list(plates))
        .exclude(legacy_id__in=list(plates.values()))
        .values_list("plate_number", flat=True)
    )
    batch = []
    for row in rows:
        legacy_id = row["id"]
        plate = mapping.clean_text(row["license_plate"]).upper()
        if not plate or len(plate) > 10 or plate in taken:
            context.issues.add(
                "vehicles",
                legacy_id,
                "license_plate",
                plate,
                "plate empty, over 10 characters or already used",
                imported=False,
            )
            continue
        status = mapping.clean_text(row["status"]).lower()
        batch.append(
            (
                legacy_id,
                plate,
                int(row["max_cylinders_20kg"] or 40),
                status in ("active", "") and row["is_available"] is not False,
                mapping.jsonable(
                    row,
                    [
                        "vehicle_number",
                        "vehicle_type",
                        "brand",
                        "model",
                        "year",
                        "max_weight_kg",
                        "max_cylinders_50kg",
                        "max_cylinders_20kg",
                        "max_cylinders_16kg",
                        "max_cylinders_10kg",
                        "max_cylinders_4kg",
                        "status",
                        "assigned_driver_id",
                    ],
                ),
            )
        )
    written = upsert(Vehicle, ["legacy_id", "plate_number", "capacity", "is_active", "legacy"], batch)
    context.vehicles.update(written)
    context.count("vehicles", len(written))


def drivers(rows: list[dict[str, Any]], context: Context) -> None:
    user_model = get_user_model()
    driver_group = Group.objects.filter(name=roles.DRIVER).first()
    written = 0
    for row in rows:
        legacy_id = row["id"]
        driver = Driver.objects.filter(legacy_id=legacy_id).select_related("user").first()
        user_id = context.users.get(row["user_id"]) if row["user_id"] is not None else None
        if driver is None:
            if user_id is None:
                # No v3 account: an inactive one to be invited, so the driver can be given a phone login later.
                user, _created = user_model.objects.get_or_create(
                    username=f"v3-driver-{legacy_id}", defaults={"is_active": False}
                )
                if _created:
                    user.set_unusable_password()
                    user.save(update_fields=["password"])
                user_id = user.pk
            if Driver.objects.filter(user_id=user_id).exists():
                context.issues.add(
                    "drivers",
                    legacy_id,
                    "user_id",
                    row["user_id"],
                    "that account already has a driver here",
                    imported=False,
                )
                continue
            driver = Driver(legacy_id=legacy_id, user_id=user_id)
        raw_phone = mapping.clean_text(row["phone"])
        try:
            phone = normalize_taiwan_phone(unicodedata.normalize("NFKC", raw_phone), mobile_only=True)
        except ValidationError:
            context.issues.add(
                "drivers", legacy_id, "phone", raw_phone, "not a Taiwan mobile number; left empty for review"
            )
            phone = ""
        driver.name = mapping.clean_text(row["name"])[:40]
        driver.phone = phone
        driver.is_active = row["is_active"] is not False
        driver.default_vehicle_id = context.vehicles.get(row["vehicle_id"])
        driver.save()
        if driver_group is not None:
            driver_group.user_set.add(driver.user_id)
        written += 1
    context.count("drivers", written)
