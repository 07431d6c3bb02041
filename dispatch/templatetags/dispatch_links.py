from django import template
from django.contrib.auth.base_user import AbstractBaseUser

from dispatch.selectors import user_may_plan

register = template.Library()


@register.filter
def may_plan(user: AbstractBaseUser) -> bool:
    """For the admin's header: whether to link the planning page."""
    return user_may_plan(user)
