from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BankingConfig(AppConfig):
    name = "banking"
    verbose_name = _("Banking")

    def ready(self) -> None:
        from banking import metrics

        # luckygas_bank_uploads_total, counted from the audit chain at scrape time.
        metrics.register_collector()
