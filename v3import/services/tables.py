"""One function per v3 table: map a batch of rows and write it by v3 id (`upsert`: COPY, then
`INSERT … ON CONFLICT (legacy_id) DO UPDATE`): the first run creates, a second updates what changed,
so a rehearsal, a re-run after an interruption and the final delta all end the same.
"""

import datetime
import json
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from luckygas.delivery.models import (
    Customer,
    CylinderProduct,
    Order,
    OrderLine,
    OrderPriority,
    OrderTemplate,
    OrderTemplateLine,
    Recurrence,
)
from v3import.services import mapping
from v3import.services.context import Context
from v3import.services.mapping import Issues
from v3import.services.upsert import upsert

CUSTOMER_FIELDS = [
    "code",
    "customer_type",
    "short_name",
    "invoice_title",
    "phone",
    "city",
    "district",
    "address",
    "area",
    "is_active",
    "legacy",
]
ORDER_FIELDS = [
    "customer",
    "status",
    "delivery_date",
    "slot",
    "priority",
    "payment_method",
    "total_amount",
    "notes",
    "status_changed_at",
    "delivered_at",
    "legacy",
]


def gas_products(rows: list[dict[str, Any]], context: Context) -> None:
    products = []
    for row in rows:
        legacy_id = row["id"]
        code = mapping.clean_text(row["sku"])
        if len(code) > 20:
            context.issues.add("gas_products", legacy_id, "sku", code, "SKU over 20 characters", imported=False)
            continue
        if row["size_kg"] not in (4, 10, 16, 20, 50):
            context.issues.add("gas_products", legacy_id, "size_kg", row["size_kg"], "not a cylinder size we sell")
        name = mapping.clean_text(row["name_zh"])
        products.append(
            (
                legacy_id,
                code,
                name[:60],
                max(int(row["size_kg"] or 0), 0),
                mapping.whole_twd(
                    row["unit_price"],
                    table="gas_products",
                    legacy_id=legacy_id,
                    field_name="unit_price",
                    issues=context.issues,
                ),
                mapping.whole_twd(
                    row["deposit_amount"],
                    table="gas_products",
                    legacy_id=legacy_id,
                    field_name="deposit_amount",
                    issues=context.issues,
                ),
                bool(row["is_active"]) and bool(row.get("is_available", True)),
            )
        )
    written = upsert(
        CylinderProduct, ["legacy_id", "code", "name", "size_kg", "price", "deposit", "is_active"], products
    )
    context.products.update(written)
    context.count("gas_products", len(written))


def customers(rows: list[dict[str, Any]], context: Context) -> None:
    issues = context.issues
    codes = {mapping.clean_text(row["customer_code"]): row["id"] for row in rows}
    taken = dict(
        Customer.objects.filter(code__in=list(codes))
        .exclude(legacy_id__in=list(codes.values()))
        .values_list("code", "legacy_id")
    )
    # The inventory counts live in `legacy` too (written by `customer_inventory`): a re-import keeps them.
    inventories = {
        legacy_id: legacy["inventory"]
        for legacy_id, legacy in Customer.objects.filter(legacy_id__in=list(codes.values())).values_list(
            "legacy_id", "legacy"
        )
        if legacy and "inventory" in legacy
    }
    seen: set[str] = set()
    batch = []
    for row in rows:
        legacy_id = row["id"]
        code = mapping.clean_text(row["customer_code"])
        if code in taken or code in seen:
            issues.add(
                "customers", legacy_id, "customer_code", code, "code already used by another customer", imported=False
            )
            continue
        seen.add(code)
        raw_type = mapping.clean_text(row["customer_type"]).lower()
        customer_type = mapping.CUSTOMER_TYPES.get(raw_type)
        if customer_type is None:
            issues.add(
                "customers",
                legacy_id,
                "customer_type",
                row["customer_type"],
                "no such customer type here; kept as it was",
            )
            customer_type = raw_type[:20]
        name = mapping.clean_text(row["short_name"])
        if len(name) > 60:
            issues.add("customers", legacy_id, "short_name", name, "name over 60 characters; cut, whole in legacy")
        city, district, address = mapping.split_address(row["address"], legacy_id=legacy_id, issues=issues)
        batch.append(
            (
                legacy_id,
                code,
                customer_type,
                name[:60],
                mapping.clean_text(row["invoice_title"])[:120],
                mapping.phone(row["phone"], table="customers", legacy_id=legacy_id, issues=issues),
                city,
                district,
                address,
                mapping.clean_text(row["area"])[:40],
                row["is_active"] is not False,
                mapping.jsonable(
                    row,
                    [
                        "customer_code",
                        "short_name",
                        "phone",
                        "address",
                        "customer_type",
                        "is_subscription",
                        "cylinders_50kg",
                        "cylinders_20kg",
                        "cylinders_16kg",
                        "cylinders_10kg",
                        "created_at",
                        "updated_at",
                    ],
                )
                | ({"inventory": inventories[legacy_id]} if legacy_id in inventories else {}),
            )
        )
    written = upsert(Customer, ["legacy_id", *CUSTOMER_FIELDS], batch)
    context.customers.update(written)
    context.count("customers", len(written))


def customer_inventory(rows: list[dict[str, Any]], context: Context) -> None:
    """v3 counts cylinders per customer and product; we track cylinders by serial number, so the counts go
    to the customer's legacy fields (`inventory`), where the reconciliation adds them up."""
    by_customer: dict[int, dict[str, Any]] = {}
    for row in rows:
        customer_id = context.customer_or_report("customer_inventory", row)
        if customer_id is None:
            continue
        entry = mapping.jsonable(
            row,
            [
                "id",
                "gas_product_id",
                "quantity_owned",
                "quantity_rented",
                "quantity_total",
                "deposit_paid",
                "is_active",
            ],
        )
        by_customer.setdefault(customer_id, {})[str(row["id"])] = entry
    # One statement: each customer's `legacy.inventory` gets this batch's entries added (or replaced by id).
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute("CREATE TEMP TABLE IF NOT EXISTS v3_stage_inventory (id bigint, inventory jsonb)")
        raw.execute("TRUNCATE v3_stage_inventory")
        with raw.copy("COPY v3_stage_inventory (id, inventory) FROM STDIN") as copy:
            for customer_id in sorted(by_customer):
                copy.write_row((customer_id, json.dumps(by_customer[customer_id], ensure_ascii=False)))
        raw.execute(
            "UPDATE delivery_customer AS c SET legacy = jsonb_set(c.legacy, '{inventory}',"
            " coalesce(c.legacy -> 'inventory', '{}'::jsonb) || s.inventory)"
            " FROM v3_stage_inventory AS s WHERE c.id = s.id"
        )
    context.count("customer_inventory", sum(len(entries) for entries in by_customer.values()))


def orders(rows: list[dict[str, Any]], context: Context) -> None:
    issues = context.issues
    batch = []
    now = timezone.now()
    for row in rows:
        legacy_id = row["id"]
        final_amount = mapping.whole_twd(
            row["final_amount"], table="orders", legacy_id=legacy_id, field_name="final_amount", issues=issues
        )
        customer_id = context.customer_or_report("orders", row)
        if customer_id is None:
            context.skipped_amount += final_amount
            continue
        status = mapping.ORDER_STATUSES.get(mapping.clean_text(row["status"]).lower())
        if status is None:
            issues.add("orders", legacy_id, "status", row["status"], "unknown status; imported as pending")
            status = "pending"
        delivery_date = mapping.local_date(row["scheduled_date"])
        if delivery_date is None:
            delivery_date = mapping.local_date(row["order_date"] or row["created_at"]) or datetime.date(2000, 1, 1)
            issues.add("orders", legacy_id, "scheduled_date", None, "no delivery date; the order date is shown")
        delivered_at = mapping.aware(row["delivered_at"])
        if status == "delivered" and delivered_at is None:
            # Our delivered orders always say when (the dashboard counts them by that day).
            delivered_at = mapping.aware(row["updated_at"] or row["created_at"] or row["order_date"]) or now
            issues.add(
                "orders", legacy_id, "delivered_at", None, "delivered with no delivery time; its last change is shown"
            )
        method = mapping.PAYMENT_METHODS.get(mapping.clean_text(row["payment_method"]).lower())
        if method is None:
            if row["payment_method"]:
                issues.add(
                    "orders",
                    legacy_id,
                    "payment_method",
                    row["payment_method"],
                    "unknown payment method; kept as it was",
                )
            method = mapping.clean_text(row["payment_method"])[:20] or "cash"
        batch.append(
            (
                legacy_id,
                customer_id,
                status,
                delivery_date,
                mapping.slot_from(row["delivery_time_start"]),
                OrderPriority.URGENT if row["is_urgent"] else OrderPriority.NORMAL,
                method,
                final_amount,
                mapping.clean_text(row["delivery_notes"]),
                mapping.aware(row["updated_at"] or row["created_at"]) or now,
                delivered_at,
                mapping.jsonable(
                    row,
                    [
                        "order_number",
                        "status",
                        "order_date",
                        "scheduled_date",
                        "delivery_time_start",
                        "delivery_time_end",
                        "qty_50kg",
                        "qty_20kg",
                        "qty_16kg",
                        "qty_10kg",
                        "qty_4kg",
                        "total_amount",
                        "discount_amount",
                        "final_amount",
                        "payment_status",
                        "payment_method",
                        "invoice_number",
                        "delivery_address",
                        "route_id",
                        "driver_id",
                        "created_at",
                        "updated_at",
                    ],
                ),
            )
        )
    written = upsert(Order, ["legacy_id", *ORDER_FIELDS], batch)
    context.count("orders", len(written))


def order_items(rows: list[dict[str, Any]], context: Context) -> None:
    issues = context.issues
    order_ids = dict(
        Order.objects.filter(legacy_id__in={row["order_id"] for row in rows}).values_list("legacy_id", "pk")
    )
    batch = []
    for row in rows:
        legacy_id = row["id"]
        order_id = order_ids.get(row["order_id"])
        product_id = context.products.get(row["gas_product_id"])
        if order_id is None:
            issues.add("order_items", legacy_id, "order_id", row["order_id"], "order not imported", imported=False)
            continue
        if product_id is None:
            issues.add(
                "order_items",
                legacy_id,
                "gas_product_id",
                row["gas_product_id"],
                "product does not exist",
                imported=False,
            )
            continue
        if not row["quantity"] or row["quantity"] < 1:
            issues.add("order_items", legacy_id, "quantity", row["quantity"], "quantity below 1", imported=False)
            continue
        batch.append(
            (
                legacy_id,
                order_id,
                product_id,
                row["quantity"],
                mapping.whole_twd(
                    row["unit_price"], table="order_items", legacy_id=legacy_id, field_name="unit_price", issues=issues
                ),
            )
        )
    written = upsert(OrderLine, ["legacy_id", "order", "product", "quantity", "unit_price"], batch)
    context.count("order_items", len(written))


RECURRENCES = {"daily": Recurrence.DAILY, "weekly": Recurrence.WEEKLY, "monthly": Recurrence.MONTHLY}


def _template_weekdays(row: dict[str, Any], issues: Issues) -> list[int]:
    """v3 numbers weekdays 1 = Monday … 7 = Sunday (its model's comment: [1, 3, 5] for Mon/Wed/Fri)."""
    days = row["recurrence_days"] or []
    if not isinstance(days, list) or any(not isinstance(day, int) or not 1 <= day <= 7 for day in days):
        issues.add("order_templates", row["id"], "recurrence_days", days, "weekdays not 1 (Monday) to 7; none kept")
        return []
    return sorted({day - 1 for day in days})


def order_templates(rows: list[dict[str, Any]], context: Context) -> None:
    issues = context.issues
    templates, lines_by_template = [], {}
    for row in rows:
        legacy_id = row["id"]
        customer_id = context.customer_or_report("order_templates", row)
        if customer_id is None:
            continue
        pattern = mapping.clean_text(row["recurrence_pattern"]).lower()
        recurrence = RECURRENCES.get(pattern)
        is_active = bool(row["is_active"]) and bool(row["is_recurring"])
        if recurrence is None:
            if row["is_recurring"]:
                issues.add(
                    "order_templates",
                    legacy_id,
                    "recurrence_pattern",
                    row["recurrence_pattern"],
                    "no such recurrence here; imported inactive",
                )
            recurrence, is_active = Recurrence.WEEKLY, False
        weekdays = _template_weekdays(row, issues) if recurrence == Recurrence.WEEKLY else []
        starts_on = mapping.local_date(row["next_scheduled_date"] or row["created_at"]) or timezone.localdate()
        method = mapping.PAYMENT_METHODS.get(mapping.clean_text(row["payment_method"]).lower(), "")
        lines = []
        for position, item in enumerate(row["products"] or []):
            product_id = context.products.get(item.get("gas_product_id")) if isinstance(item, dict) else None
            quantity = item.get("quantity") if isinstance(item, dict) else None
            if product_id is None or not isinstance(quantity, int) or quantity < 1:
                issues.add(
                    "order_templates",
                    legacy_id,
                    f"products[{position}]",
                    item,
                    "product unknown or quantity below 1; line not imported",
                )
                continue
            lines.append((product_id, quantity))
        templates.append(
            OrderTemplate(
                legacy_id=legacy_id,
                customer_id=customer_id,
                name=mapping.clean_text(row["template_name"])[:100] or str(legacy_id),
                recurrence=recurrence,
                interval=max(int(row["recurrence_interval"] or 1), 1),
                weekdays=weekdays,
                starts_on=starts_on,
                priority=OrderPriority.URGENT
                if mapping.clean_text(row["priority"]).lower() == "urgent"
                else OrderPriority.NORMAL,
                payment_method=method,
                delivery_notes=mapping.clean_text(row["delivery_notes"]),
                is_active=is_active and bool(lines),
                legacy=mapping.jsonable(
                    row,
                    [
                        "template_code",
                        "description",
                        "products",
                        "priority",
                        "payment_method",
                        "is_recurring",
                        "recurrence_pattern",
                        "recurrence_days",
                        "next_scheduled_date",
                        "times_used",
                        "last_used_at",
                    ],
                ),
            )
        )
        merged_lines: dict[int, int] = {}
        for product_id, quantity in lines:
            merged_lines[product_id] = merged_lines.get(product_id, 0) + quantity
        lines_by_template[legacy_id] = sorted(merged_lines.items())
    with transaction.atomic():
        written = OrderTemplate.objects.bulk_create(
            templates,
            update_conflicts=True,
            unique_fields=["legacy_id"],
            update_fields=[
                "customer",
                "name",
                "recurrence",
                "interval",
                "weekdays",
                "starts_on",
                "priority",
                "payment_method",
                "delivery_notes",
                "is_active",
                "legacy",
                "updated_at",
            ],
        )
        by_pk = {template.pk: lines_by_template[template.legacy_id] for template in written}
        existing: dict[int, list[tuple[int, int]]] = {pk: [] for pk in by_pk}
        for template_id, product_id, quantity in OrderTemplateLine.objects.filter(template_id__in=by_pk).values_list(
            "template_id", "product_id", "quantity"
        ):
            existing[template_id].append((product_id, quantity))
        changed = [pk for pk, lines in by_pk.items() if lines != sorted(existing[pk])]
        OrderTemplateLine.objects.filter(template_id__in=changed).delete()
        OrderTemplateLine.objects.bulk_create(
            OrderTemplateLine(template_id=pk, product_id=product_id, quantity=quantity)
            for pk in changed
            for product_id, quantity in by_pk[pk]
        )
    context.count("order_templates", len(written))
