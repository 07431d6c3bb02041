"""The link to a person's own guide on the docs site (/docs/, built by `make docs`), in the language in use."""

from django import template
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import translation

from luckygas.delivery import roles

register = template.Library()


@register.simple_tag
def guide_url(user: AbstractBaseUser) -> str:
    """Admins and superusers read the finance/admin guide, managers theirs, the office staff theirs."""
    if user.is_superuser or roles.user_has_role(user, roles.ADMIN):
        page = "finance"
    elif roles.user_has_role(user, roles.MANAGER):
        page = "manager"
    else:
        page = "office"
    prefix = "/docs/en/" if translation.get_language() == "en" else "/docs/"
    return f"{prefix}{page}.html"
