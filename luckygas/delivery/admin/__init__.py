"""Django admin for office staff: everything a dispatcher needs in one place.

Admin actions call services; status fields are read-only here.
"""

from luckygas.delivery.admin import customers, fleet, invoices, orders, recurring, routes, schedules, stops

__all__ = ["customers", "fleet", "invoices", "orders", "recurring", "routes", "schedules", "stops"]
