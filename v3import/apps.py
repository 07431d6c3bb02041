from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class V3ImportConfig(AppConfig):
    name = "v3import"
    verbose_name = _("Moving in from LuckyGas v3")
    default_auto_field = "django.db.models.BigAutoField"
