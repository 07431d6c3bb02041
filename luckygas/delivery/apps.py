from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    """Customers, cylinders, orders, routes and invoices: the core every other app builds on."""

    name = "luckygas.delivery"
    label = "delivery"
    verbose_name = _("Delivery")
