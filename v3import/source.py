"""Reading LuckyGas v3: one read-only REPEATABLE READ snapshot, tables read in id order in batches.

A named (server-side) cursor keeps memory flat whatever the table's size.
"""

import datetime
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row

# Each table, and what "changed since" means for it (v3's timestamps; NULL updated_at = never updated).
CHANGED = {
    "users": "coalesce(t.updated_at, t.created_at)",
    "gas_products": None,  # small: always read whole
    "vehicles": "coalesce(t.updated_at, t.created_at)",
    "drivers": "coalesce(t.updated_at, t.created_at)",
    "customers": "coalesce(t.updated_at, t.created_at)",
    "customer_inventory": "t.last_updated",
    "orders": "coalesce(t.updated_at, t.created_at)",
    "order_items": "(SELECT coalesce(o.updated_at, o.created_at) FROM orders o WHERE o.id = t.order_id)",
    "delivery_history": "coalesce(t.updated_at, t.created_at)",
    "delivery_history_items": (
        "(SELECT coalesce(h.updated_at, h.created_at) FROM delivery_history h WHERE h.id = t.delivery_history_id)"
    ),
    "routes": "coalesce(t.updated_at, t.created_at)",
    "route_deliveries": "coalesce(t.updated_at, t.created_at)",
    "invoices": "coalesce(t.updated_at, t.created_at)",
    "payments": "t.created_at",
    "payment_transactions": "coalesce(t.updated_at, t.created_at)",
    "order_templates": "coalesce(t.updated_at, t.created_at)",
}

# Columns a table's rows carry from another v3 table.
JOINED = {
    # v3 records the empties a delivery brought back on the order's lines (`order_items.empty_received`).
    "route_deliveries": (
        ", (SELECT sum(i.empty_received) FROM order_items i WHERE i.order_id = t.order_id) AS empties_received"
    ),
    "payment_transactions": ", (SELECT b.bank_code FROM payment_batches b WHERE b.id = t.batch_id) AS bank_code",
}


def masked(url: str) -> str:
    """The source URL as shown in admin and logs: no password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class V3Snapshot:
    """A read-only, repeatable-read view of the v3 database for the length of one import run."""

    def __init__(self, url: str) -> None:
        self.connection = psycopg.connect(url, row_factory=dict_row, autocommit=False)
        self.connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        self._cursors = 0

    def close(self) -> None:
        self.connection.rollback()
        self.connection.close()

    def __enter__(self) -> "V3Snapshot":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _where(self, table: str, *, since: datetime.datetime | None, after_id: int) -> tuple[str, list[Any]]:
        clauses, params = ["t.id > %s"], [after_id]
        if since is not None and CHANGED[table]:
            clauses.append(f"{CHANGED[table]} >= %s")
            params.append(since)
        return " AND ".join(clauses), params

    def batches(
        self, table: str, *, since: datetime.datetime | None = None, after_id: int = 0, size: int = 5000
    ) -> Iterator[list[dict[str, Any]]]:
        """Rows of `table` with id > after_id (and changed since `since`), in id order, `size` at a time."""
        where, params = self._where(table, since=since, after_id=after_id)
        self._cursors += 1
        with self.connection.cursor(name=f"v3_{table}_{self._cursors}") as cursor:
            cursor.itersize = size
            cursor.execute(
                f"SELECT t.*{JOINED.get(table, '')} FROM {table} t WHERE {where} ORDER BY t.id",  # noqa: S608
                params,
            )
            while rows := cursor.fetchmany(size):
                yield rows

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        return self.connection.execute(sql, params or []).fetchone()

    def count(self, table: str, *, since: datetime.datetime | None = None) -> int:
        where, params = self._where(table, since=since, after_id=0)
        row = self.connection.execute(f"SELECT count(*) AS n FROM {table} t WHERE {where}", params).fetchone()  # noqa: S608
        return int(row["n"])
