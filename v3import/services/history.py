"""v3's delivery history (`delivery_history` and `delivery_history_items`): past deliveries per customer,
kept as read-only delivery records. Quantities that cannot be taken as they are are reported, never guessed."""

from decimal import Decimal, InvalidOperation
from typing import Any

from v3import.models import DeliveryRecord, DeliveryRecordLine
from v3import.services import mapping
from v3import.services.context import Context
from v3import.services.upsert import upsert

# v3's cylinder count columns (its names: 丙烷20 is "ying20", 好運桶16 "haoyun16", …) and flow meter columns.
CYLINDER_COLUMNS = (
    "qty_50kg",
    "qty_ying20",
    "qty_ying16",
    "qty_20kg",
    "qty_16kg",
    "qty_10kg",
    "qty_4kg",
    "qty_haoyun16",
    "qty_pingantong10",
    "qty_xingfuwan4",
    "qty_haoyun20",
)
FLOW_COLUMNS = ("flow_50kg", "flow_20kg", "flow_16kg", "flow_haoyun20kg", "flow_haoyun16kg")
# What the reconciliation adds up on v3's side: the same as `cylinders` below, negative counts as 0.
V3_CYLINDERS = " + ".join(f"greatest(coalesce({column}, 0), 0)" for column in CYLINDER_COLUMNS)


def _kg(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.001"))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def delivery_history(rows: list[dict[str, Any]], context: Context) -> None:
    issues = context.issues
    batch = []
    for row in rows:
        legacy_id = row["id"]
        customer_id = context.customer_or_report("delivery_history", row)
        if customer_id is None:
            continue
        if row["transaction_date"] is None:
            issues.add("delivery_history", legacy_id, "transaction_date", None, "no delivery date", imported=False)
            continue
        cylinders = 0
        for column in CYLINDER_COLUMNS:
            count = row[column] or 0
            if count < 0:
                issues.add("delivery_history", legacy_id, column, count, "negative cylinder count; counted as 0")
                continue
            cylinders += count
        if row["total_cylinders"] is not None and row["total_cylinders"] != cylinders:
            issues.add(
                "delivery_history",
                legacy_id,
                "total_cylinders",
                row["total_cylinders"],
                f"v3's total differs from its counts ({cylinders}); the counts are kept",
            )
        flow = Decimal(0)
        for column in FLOW_COLUMNS:
            kg = _kg(row[column])
            if kg is None or kg < 0:
                if row[column] is not None:
                    issues.add("delivery_history", legacy_id, column, row[column], "not a flow quantity; counted as 0")
                continue
            flow += kg
        batch.append(
            (
                legacy_id,
                customer_id,
                row["transaction_date"],
                mapping.clean_text(row["transaction_time"])[:10],
                mapping.clean_text(row["salesperson"])[:100],
                cylinders,
                flow,
                mapping.jsonable(
                    row,
                    [
                        "customer_code",
                        *CYLINDER_COLUMNS,
                        *FLOW_COLUMNS,
                        "total_weight_kg",
                        "total_cylinders",
                        "source_file",
                        "source_sheet",
                        "import_date",
                        "created_at",
                        "updated_at",
                    ],
                ),
            )
        )
    written = upsert(
        DeliveryRecord,
        ["legacy_id", "customer", "delivered_on", "delivered_time", "salesperson", "cylinders", "flow_kg", "legacy"],
        batch,
    )
    context.count("delivery_history", len(written))


def delivery_history_items(rows: list[dict[str, Any]], context: Context) -> None:
    issues = context.issues
    records = dict(
        DeliveryRecord.objects.filter(legacy_id__in={row["delivery_history_id"] for row in rows}).values_list(
            "legacy_id", "pk"
        )
    )
    batch = []
    for row in rows:
        legacy_id = row["id"]
        record_id = records.get(row["delivery_history_id"])
        product_id = context.products.get(row["gas_product_id"])
        if record_id is None:
            issues.add(
                "delivery_history_items",
                legacy_id,
                "delivery_history_id",
                row["delivery_history_id"],
                "delivery record not imported",
                imported=False,
            )
            continue
        if product_id is None:
            issues.add(
                "delivery_history_items",
                legacy_id,
                "gas_product_id",
                row["gas_product_id"],
                "product does not exist",
                imported=False,
            )
            continue
        if row["quantity"] is None or row["quantity"] < 0:
            issues.add(
                "delivery_history_items", legacy_id, "quantity", row["quantity"], "negative quantity", imported=False
            )
            continue
        flow_kg = _kg(row["flow_quantity"])
        if row["flow_quantity"] is not None and (flow_kg is None or flow_kg < 0):
            issues.add(
                "delivery_history_items", legacy_id, "flow_quantity", row["flow_quantity"], "not a flow quantity"
            )
            flow_kg = None
        batch.append(
            (
                legacy_id,
                record_id,
                product_id,
                row["quantity"],
                mapping.whole_twd(
                    row["unit_price"],
                    table="delivery_history_items",
                    legacy_id=legacy_id,
                    field_name="unit_price",
                    issues=issues,
                ),
                bool(row["is_flow_delivery"]),
                flow_kg,
            )
        )
    written = upsert(
        DeliveryRecordLine,
        ["legacy_id", "record", "product", "quantity", "unit_price", "is_flow", "flow_kg"],
        batch,
    )
    context.count("delivery_history_items", len(written))
