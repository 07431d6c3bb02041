"""The v3 tables import_v3 reads, in dependency order: a table's rows refer only to tables before it."""

from v3import.services import banking, history, money, people, routes, tables

TABLES = {
    "users": people.users,
    "gas_products": tables.gas_products,
    "vehicles": people.vehicles,
    "drivers": people.drivers,
    "customers": tables.customers,
    "customer_inventory": tables.customer_inventory,
    "orders": tables.orders,
    "order_items": tables.order_items,
    "delivery_history": history.delivery_history,
    "delivery_history_items": history.delivery_history_items,
    "routes": routes.routes,
    "route_deliveries": routes.route_deliveries,
    "invoices": money.invoices,
    "payments": money.payments,
    "payment_transactions": banking.payment_transactions,
    "order_templates": tables.order_templates,
}
