"""After a run: is every v3 row here or in the exceptions, and do the money and cylinder sums agree?

v3's rows and ours are read side by side in v3 id order (a merge join), so memory stays flat
whatever the size of the tables.
"""

import datetime
import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import F

from luckygas.delivery.models import Customer, CylinderProduct, Order, OrderLine, OrderTemplate
from v3import.models import ImportException, ImportRun
from v3import.services import mapping
from v3import.source import V3Snapshot

OURS = {
    "gas_products": CylinderProduct,
    "customers": Customer,
    "orders": Order,
    "order_items": OrderLine,
    "order_templates": OrderTemplate,
}
SAMPLE_SIZE = 200


# Per table: the v3 value to add up (None: only count) and ours for the same rows.
V3_VALUES = {
    "gas_products": None,
    "customers": None,
    "customer_inventory": "coalesce(quantity_total, 0)",
    "orders": "greatest(round(coalesce(final_amount, 0)), 0)",
    "order_items": "quantity * greatest(round(unit_price), 0)",
    "order_templates": None,
}
SUM_NAMES = {
    "customer_inventory": "cylinders at customers",
    "orders": "order totals (TWD)",
    "order_items": "order lines, quantity × price (TWD)",
}


def _ours(table: str) -> Iterator[tuple[int, int]]:
    """(v3 id, value) of what we hold, in v3 id order."""
    if table == "customer_inventory":
        entries: dict[int, int] = {}
        for legacy in Customer.objects.filter(legacy_id__isnull=False).values_list("legacy", flat=True).iterator(2000):
            for key, entry in (legacy or {}).get("inventory", {}).items():
                entries[int(key)] = int(entry.get("quantity_total") or 0)
        yield from sorted(entries.items())
        return
    rows = OURS[table].objects.filter(legacy_id__isnull=False).order_by("legacy_id")
    if table == "orders":
        yield from rows.values_list("legacy_id", "total_amount").iterator(10000)
    elif table == "order_items":
        yield from (
            rows.annotate(value=F("quantity") * F("unit_price")).values_list("legacy_id", "value").iterator(10000)
        )
    else:
        yield from ((legacy_id, 0) for legacy_id in rows.values_list("legacy_id", flat=True).iterator(10000))


def _theirs(snapshot: V3Snapshot, table: str) -> Iterator[tuple[int, int]]:
    value = V3_VALUES[table] or "0"
    snapshot._cursors += 1
    with snapshot.connection.cursor(name=f"v3_reconcile_{table}_{snapshot._cursors}") as cursor:
        cursor.itersize = 20000
        cursor.execute(f"SELECT id, {value} AS value FROM {table} ORDER BY id")  # noqa: S608
        for row in cursor:
            yield int(row["id"]), int(row["value"])


def _compare(snapshot: V3Snapshot, table: str) -> tuple[dict[str, int], tuple[int, int]]:
    """Walk v3's rows and ours side by side in id order (memory stays flat): counts, and sums over both."""
    excepted = set(
        ImportException.objects.filter(table=table, is_imported=False).values_list("legacy_id", flat=True).distinct()
    )
    counts = {"v3": 0, "imported": 0, "not_imported": 0, "unaccounted": 0, "only_ours": 0}
    v3_sum = our_sum = 0
    ours = _ours(table)
    mine = next(ours, None)
    for legacy_id, value in _theirs(snapshot, table):
        counts["v3"] += 1
        while mine is not None and mine[0] < legacy_id:
            counts["only_ours"] += 1
            mine = next(ours, None)
        if mine is not None and mine[0] == legacy_id:
            counts["imported"] += 1
            v3_sum += value
            our_sum += int(mine[1] or 0)
            mine = next(ours, None)
        elif legacy_id in excepted:
            counts["not_imported"] += 1
        else:
            counts["unaccounted"] += 1
    while mine is not None:
        counts["only_ours"] += 1
        mine = next(ours, None)
    return counts, (v3_sum, our_sum)


def customer_fingerprint(fields: dict[str, Any]) -> str:
    text = "\x1f".join(f"{key}={fields[key]}" for key in sorted(fields))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _expected_customer(row: dict[str, Any]) -> dict[str, Any]:
    issues = mapping.Issues()
    city, district, address = mapping.split_address(row["address"], legacy_id=row["id"], issues=issues)
    raw_type = mapping.clean_text(row["customer_type"]).lower()
    return {
        "code": mapping.clean_text(row["customer_code"]),
        "short_name": mapping.clean_text(row["short_name"])[:60],
        "phone": mapping.phone(row["phone"], table="customers", legacy_id=row["id"], issues=issues),
        "city": city,
        "district": district,
        "address": address,
        "area": mapping.clean_text(row["area"])[:40],
        "is_active": row["is_active"] is not False,
        "customer_type": mapping.CUSTOMER_TYPES.get(raw_type, raw_type[:20]),
    }


def _customer_sample(snapshot: V3Snapshot) -> dict[str, Any]:
    rows = snapshot.connection.execute(
        "SELECT * FROM customers ORDER BY md5(id::text) LIMIT %s", [SAMPLE_SIZE]
    ).fetchall()
    ours = {
        customer["legacy_id"]: customer
        for customer in Customer.objects.filter(legacy_id__in=[row["id"] for row in rows]).values(
            "legacy_id",
            "code",
            "short_name",
            "phone",
            "city",
            "district",
            "address",
            "area",
            "is_active",
            "customer_type",
        )
    }
    differences = []
    compared = 0
    for row in rows:
        mine = ours.get(row["id"])
        if mine is None:
            continue  # not imported: counted in the exceptions
        compared += 1
        expected = _expected_customer(row)
        actual = {key: mine[key] for key in expected}
        if customer_fingerprint(expected) != customer_fingerprint(actual):
            differing = [key for key in expected if expected[key] != actual[key]]
            differences.append({"legacy_id": row["id"], "fields": differing})
    return {"compared": compared, "differences": differences}


def reconcile(
    *, snapshot: V3Snapshot, run: ImportRun, tables: Sequence[str], since: datetime.datetime | None
) -> dict[str, Any]:
    """Counts per table, sums, and a field-by-field sample of customers: `agrees` only when all hold."""
    counts, sums = [], []
    for table in tables:
        row, (v3_sum, our_sum) = _compare(snapshot, table)
        row["table"] = table
        row["written_this_run"] = int(run.counts.get(table, 0))
        row["exceptions_this_run"] = ImportException.objects.filter(run=run, table=table).count()
        row["holds"] = row["unaccounted"] == 0
        counts.append(row)
        if table in SUM_NAMES:
            sums.append({"name": SUM_NAMES[table], "v3": v3_sum, "ours": our_sum, "holds": v3_sum == our_sum})
    sample = _customer_sample(snapshot) if "customers" in tables else {"compared": 0, "differences": []}
    agrees = all(row["holds"] for row in counts) and all(entry["holds"] for entry in sums) and not sample["differences"]
    return {
        "agrees": agrees,
        "since": since.isoformat() if since else None,
        "tables": counts,
        "sums": sums,
        "customer_sample": sample,
    }
