"""The order life cycle's allowed moves, and the bulk row writer the stop batch uses."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from luckygas.delivery.models import (
    Order,
    OrderStatus,
    RouteStop,
)

ALLOWED_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.SCHEDULED, OrderStatus.CANCELLED}),
    OrderStatus.SCHEDULED: frozenset({OrderStatus.OUT_FOR_DELIVERY, OrderStatus.CANCELLED}),
    OrderStatus.OUT_FOR_DELIVERY: frozenset({OrderStatus.DELIVERED, OrderStatus.FAILED, OrderStatus.CANCELLED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.FAILED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class IllegalTransitionError(ValidationError):
    """An order or stop was asked to move to a status its life cycle does not allow."""


def _update_rows(objects: Sequence[Order] | Sequence[RouteStop], field_names: Sequence[str]) -> None:
    """Write the given fields of rows of one model in one UPDATE … FROM (VALUES …).

    Django's bulk_update builds a CASE WHEN expression per field and row, which costs more
    Python time than the whole rest of a sync push; this is one plain statement instead.
    """
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":  # the embedded SQLite of `make run`
        model.objects.bulk_update(objects, field_names)
        return
    quote = connection.ops.quote_name
    fields = [model._meta.pk, *(model._meta.get_field(name) for name in field_names)]
    row = "(" + ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in fields) + ")"
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS target SET "  # noqa: S608 (names come from the model)
        + ", ".join(f"{quote(field.column)} = source.{quote(field.column)}" for field in fields[1:])
        + f" FROM (VALUES {', '.join([row] * len(objects))}) "
        + f"AS source ({', '.join(quote(field.column) for field in fields)}) "
        + f"WHERE target.{quote(fields[0].column)} = source.{quote(fields[0].column)}"
    )
    params = [
        field.get_db_prep_save(getattr(instance, field.attname), connection) for instance in objects for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _check_order_transition(*, order: Order, from_status: str, to_status: str) -> None:
    if to_status not in ALLOWED_ORDER_TRANSITIONS[from_status]:
        raise IllegalTransitionError(
            {
                "status": _("Order %(order)s cannot go from %(from)s to %(to)s.")
                % {
                    "order": order,
                    "from": OrderStatus(from_status).label,
                    "to": OrderStatus(to_status).label if to_status in OrderStatus.values else to_status,
                }
            },
            code="illegal_transition",
        )
