from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfflineSyncConfig(AppConfig):
    name = "offline_sync"
    verbose_name = _("Driver offline sync")
