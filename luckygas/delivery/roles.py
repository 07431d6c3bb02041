"""The four staff roles, as Django groups, and the permissions each one holds."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

OFFICE = "office"
MANAGER = "manager"
ADMIN = "admin"
DRIVER = "driver"
ALL_ROLES = (OFFICE, MANAGER, ADMIN, DRIVER)

# The delivery models staff work with (the order status history is written only by services).
_DELIVERY_MODELS = (
    "customer",
    "order",
    "orderline",
    "route",
    "routestop",
    "invoice",
    "payment",
    "cylinder",
    "cylinderproduct",
    "driver",
    "vehicle",
)

# Codenames per role for the delivery app. Other apps grant their own in their migrations
# through `grant_permissions`.
DELIVERY_PERMISSIONS: dict[str, list[str]] = {
    OFFICE: [
        *(
            f"{action}_{model}"
            for model in ("customer", "order", "orderline", "route", "routestop", "invoice", "payment", "cylinder")
            for action in ("view", "add", "change")
        ),
        "view_cylinderproduct",
        "view_driver",
        "view_vehicle",
        "view_orderstatuschange",
    ],
    MANAGER: [f"view_{model}" for model in (*_DELIVERY_MODELS, "orderstatuschange")],
    ADMIN: [f"{action}_{model}" for model in _DELIVERY_MODELS for action in ("view", "add", "change", "delete")]
    + ["view_orderstatuschange"],
    DRIVER: ["view_route", "view_routestop"],
}


def user_has_role(user: AbstractBaseUser | AnonymousUser, *roles: str) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=roles).exists()


def user_is_driver(user: AbstractBaseUser | AnonymousUser) -> bool:
    """A driver account: in the driver group or linked to a driver, and not office staff."""
    if not user.is_authenticated or user.is_superuser:
        return False
    if user.groups.filter(name__in=(OFFICE, MANAGER, ADMIN)).exists():
        return False
    return user.groups.filter(name=DRIVER).exists() or hasattr(user, "driver")


def grant_permissions(apps, app_label: str, permissions_by_role: dict[str, list[str]]) -> None:
    """For data migrations: create the app's permissions now and give them to the role groups."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codenames in permissions_by_role.items():
        group, _created = group_model.objects.get_or_create(name=role)
        found = list(permission_model.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        missing = set(codenames) - {permission.codename for permission in found}
        if missing:
            raise LookupError(f"unknown permissions for {app_label}: {sorted(missing)}")
        group.permissions.add(*found)
