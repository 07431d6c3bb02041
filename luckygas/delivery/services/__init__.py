"""Every write to the delivery domain goes through these functions, one module per entity.

`from luckygas.delivery.services import order_create` keeps working: the package re-exports them.
"""

from luckygas.delivery.models import FINAL_STOP_STATUSES
from luckygas.delivery.services.invoices import invoice_create, invoice_mark_paid, invoice_record_payment
from luckygas.delivery.services.orders import (
    OrderLineInput,
    order_cancel,
    order_check_input,
    order_confirm,
    order_create,
    order_recalculate_total,
    order_replace_lines,
    order_transition,
)
from luckygas.delivery.services.recurring import (
    RecurringRun,
    order_template_create,
    order_template_is_due,
    order_template_next_dates,
    recurring_orders_create_due,
    recurring_orders_create_for_tomorrow,
)
from luckygas.delivery.services.routes import (
    route_assign_orders,
    route_get_or_create,
    route_start,
    route_stop_reassign,
    route_stop_reorder,
)
from luckygas.delivery.services.stops import RouteStopBatch, route_stop_record_outcome, route_stops_lock
from luckygas.delivery.services.transitions import ALLOWED_ORDER_TRANSITIONS, IllegalTransitionError

__all__ = [
    "ALLOWED_ORDER_TRANSITIONS",
    "FINAL_STOP_STATUSES",
    "IllegalTransitionError",
    "OrderLineInput",
    "RecurringRun",
    "RouteStopBatch",
    "invoice_create",
    "invoice_mark_paid",
    "invoice_record_payment",
    "order_cancel",
    "order_check_input",
    "order_confirm",
    "order_create",
    "order_recalculate_total",
    "order_replace_lines",
    "order_template_create",
    "order_template_is_due",
    "order_template_next_dates",
    "order_transition",
    "recurring_orders_create_due",
    "recurring_orders_create_for_tomorrow",
    "route_assign_orders",
    "route_get_or_create",
    "route_start",
    "route_stop_reassign",
    "route_stop_record_outcome",
    "route_stop_reorder",
    "route_stops_lock",
]
