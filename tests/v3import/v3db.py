"""A LuckyGas v3-shaped PostgreSQL database of our own, filled with what real databases hold."""

import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

SCHEMA = Path(__file__).with_name("v3_schema.sql")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@contextlib.contextmanager
def v3_database(server_url: str, *, keep: bool = False) -> Iterator[str]:
    """A new database with v3's schema on the server of `server_url`; dropped afterwards."""
    name = f"lg_v3_{uuid.uuid4().hex[:10]}"
    admin_url = _with_database(server_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(SCHEMA.read_text(encoding="utf-8"))
        yield url
    finally:
        if not keep:
            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


PRODUCTS = [
    # id, method, size, attribute, sku, name, price, deposit
    (1, "CYLINDER", 20, "REGULAR", "GAS-C20-R", "20KG", 950.0, 1800.0),
    (2, "CYLINDER", 50, "REGULAR", "GAS-C50-R", "50KG", 2300.0, 3500.0),
    (3, "CYLINDER", 16, "COMMERCIAL", "GAS-C16-CM", "營16", 820.5, 1500.0),  # a fraction of a dollar
    (4, "FLOW", 0, "XINGFU", "GAS-F00-X", "幸福丸", 120.0, 0.0),  # not a cylinder size we sell
]


TABLES = (
    "users",
    "vehicles",
    "drivers",
    "gas_products",
    "customers",
    "customer_inventory",
    "orders",
    "order_items",
    "invoices",
    "payments",
    "order_templates",
    "delivery_history",
    "delivery_history_items",
    "routes",
    "route_deliveries",
    "payment_batches",
    "payment_transactions",
)


def fill_awkward(url: str) -> dict[str, int]:
    """The data a real v3 database holds: duplicates, NULLs, full-width digits, 臺/台, trailing spaces, orphans."""
    with psycopg.connect(url, autocommit=True) as connection:
        users = [
            # id, email, username, name, role
            (1, "boss@luckygas.tw", "boss", "陳老闆", "SUPER_ADMIN"),
            (2, "clerk@luckygas.tw", "clerk ", "林小姐", "OFFICE_STAFF"),
            (3, "driver7@luckygas.tw", "driver7", "王司機", "DRIVER"),
            (4, "someone@example.com", "a-customer", "客戶帳號", "CUSTOMER"),
            (5, "taken@luckygas.tw", "admin", "撞名", "MANAGER"),  # the username is taken here
        ]
        for row in users:
            connection.execute(
                "INSERT INTO users (id, email, username, full_name, hashed_password, role)"
                " VALUES (%s, %s, %s, %s, '$2b$12$abcdefghijklmnopqrstuv', %s)",
                row,
            )
        vehicles = [
            (1, "V-1", "abc-1234", "TRUCK_SMALL", "ACTIVE", 40),
            (2, "V-2", "KLM-0099", "VAN", "RETIRED", 30),
            (3, "V-3", "TOO-LONG-PLATE-9", "TRUCK_LARGE", "ACTIVE", 80),
        ]
        for row in vehicles:
            connection.execute(
                "INSERT INTO vehicles (id, vehicle_number, license_plate, vehicle_type, status, max_cylinders_20kg)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                row,
            )
        drivers = [
            (1, 3, "王司機", "0912-000-111", "L-1", 1),
            (2, None, "李司機 ", "02-2700-1234", "L-2", 2),  # no account; a landline is no mobile
        ]
        for row in drivers:
            connection.execute(
                "INSERT INTO drivers (id, user_id, name, phone, license_number, vehicle_id)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                row,
            )
        for row in PRODUCTS:
            connection.execute(
                "INSERT INTO gas_products (id, delivery_method, size_kg, attribute, sku, name_zh, unit_price,"
                " deposit_amount) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                row,
            )
        customers = [
            # id, code, name, address, phone, type, area, active
            (1, "C001", "王記麵館", "台北市大安區忠孝東路四段1號", "02-2700-1234", "RESTAURANT", "大安", True),
            (2, "C002 ", "林小姐  ", "臺北市信義區松仁路100號", "０９１２３４５６７８", "residential", "信義", True),
            (3, "C003", "陳先生", "新北市板橋區文化路一段5號", None, "RESIDENTIAL", None, None),
            (4, "C004", "好運快炒", "高雄市某處", "12345", "OTHER", "", False),
            (5, "C005", "學校" * 40, "桃園市中壢區中大路300號", "0912-345-679", "school", "中壢", True),
            (6, "C006", "林小姐", "臺北市信義區松仁路100號", "0912345678", "residential", "信義", True),  # a duplicate
        ]
        for row in customers:
            connection.execute(
                "INSERT INTO customers (id, customer_code, short_name, address, phone, customer_type, area, is_active,"
                " cylinders_20kg, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 2, now())",
                row,
            )
        inventory = [(1, 1, 1, 3), (2, 1, 2, 1), (3, 2, 1, 2), (4, 6, 3, 5)]
        for row in inventory:
            connection.execute(
                "INSERT INTO customer_inventory (id, customer_id, gas_product_id, quantity_total)"
                " VALUES (%s, %s, %s, %s)",
                row,
            )
        orders = [
            # id, number, customer, status, scheduled, start, final, method, urgent
            (1, "O-1", 1, "DELIVERED", "2026-11-02 02:00+00", "08:00", 1900.0, "cash", False),
            (2, "O-2", 2, "PENDING", "2026-12-10 06:00+00", "14:00", 950.0, "月結", True),
            (3, "O-3", 3, "CANCELLED", None, None, 0.0, None, False),
            (4, "O-4", 6, "ASSIGNED", "2026-12-11 01:00+00", "18:30", 1641.0, "credit", False),
            (5, "O-5", 1, "IN_DELIVERY", "2026-12-05 00:00+00", "xx", 2300.4, "bitcoin", False),
        ]
        for row in orders:
            connection.execute(
                "INSERT INTO orders (id, order_number, customer_id, status, scheduled_date, delivery_time_start,"
                " final_amount, payment_method, is_urgent, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
                row,
            )
        items = [
            # id, order, product, quantity, price, empties received
            (1, 1, 1, 2, 950.0, 2),
            (2, 2, 1, 1, 950.0, 0),
            (3, 4, 3, 2, 820.5, None),
            (4, 5, 2, 1, 2300.0, 1),  # order 5's stop failed, yet an empty came back
            (5, 5, 1, 0, 950.0, 0),  # quantity 0
        ]
        for row in items:
            connection.execute(
                "INSERT INTO order_items (id, order_id, gas_product_id, quantity, unit_price, subtotal, final_amount,"
                " empty_received) VALUES (%s, %s, %s, %s, %s, 0, 0, %s)",
                row,
            )
        # Orphans, as a database without enforced keys (or with them disabled in a restore) holds.
        connection.execute("SET session_replication_role = replica")
        connection.execute(
            "INSERT INTO orders (id, order_number, customer_id, status, final_amount)"
            " VALUES (6, 'O-6', 999, 'PENDING', 500)"
        )
        connection.execute(
            "INSERT INTO order_items (id, order_id, gas_product_id, quantity, unit_price, subtotal, final_amount)"
            " VALUES (6, 1, 77, 1, 100, 100, 100)"
        )
        connection.execute("SET session_replication_role = DEFAULT")
        templates = [
            (
                1,
                "每週一三五",
                1,
                json.dumps([{"gas_product_id": 1, "quantity": 2}]),
                "urgent",
                "cash",
                True,
                "weekly",
                1,
                json.dumps([1, 3, 5]),
            ),
            (
                2,
                "每月",
                2,
                json.dumps([{"gas_product_id": 2, "quantity": 1}, {"gas_product_id": 2, "quantity": 1}]),
                "normal",
                "credit",
                True,
                "monthly",
                1,
                None,
            ),
            (
                3,
                "自訂",
                3,
                json.dumps([{"gas_product_id": 99, "quantity": 1}]),
                "scheduled",
                "cash",
                True,
                "custom",
                2,
                json.dumps([0, 8]),
            ),
        ]
        for row in templates:
            connection.execute(
                "INSERT INTO order_templates (id, template_name, customer_id, products, priority, payment_method,"
                " is_recurring, recurrence_pattern, recurrence_interval, recurrence_days, next_scheduled_date)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '2026-12-07')",
                row,
            )
        invoices = [
            # id, number, customer, order, date, total, status, payment status, due, paid
            (1, "AB12345678", 1, 1, "2026-11-02", 1900.0, "ISSUED", "PAID", "2026-11-30", "2026-11-20"),
            (2, "AB12345679", 2, 2, "2026-12-01", 950.5, "ISSUED", "PENDING", None, None),
            (3, "AB12345680", 6, None, "2026-12-01", 500.0, "VOID", "CANCELLED", "2026-12-31", None),
        ]
        for row in invoices:
            connection.execute(
                "INSERT INTO invoices (id, invoice_number, invoice_track, invoice_no, customer_id, order_id,"
                " invoice_date, period, total_amount, status, payment_status, due_date, paid_date)"
                " VALUES (%s, %s, 'AB', '12345678', %s, %s, %s, '202611', %s, %s, %s, %s, %s)",
                row,
            )
        payments = [(1, "P-1", 1, "2026-11-20", "TRANSFER", 1900.0), (2, "P-2", 2, "2026-12-01", "CHECK", 500.0)]
        for row in payments:
            connection.execute(
                "INSERT INTO payments (id, payment_number, invoice_id, payment_date, payment_method, amount)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                row,
            )
        history = [
            # id, date, time, salesperson, customer, code, 50kg, 20kg, 16kg, flow 20kg, total cylinders
            (1, "2024-03-01", "09:30", "王司機", 1, "C001", 1, 2, 0, 0.0, 3),
            (2, "2024-03-02", "下午", " 李 ", 2, "C002", 0, 1, 0, 12.5, 1),
            (3, "2024-03-03", None, None, 6, "C006", 0, -1, 2, 0.0, 1),  # a negative count; v3's total disagrees
            (4, "2024-03-04", "10:00", None, 4, "C004", 0, 2, 0, -3.0, 2),  # a negative flow
        ]
        for row in history:
            connection.execute(
                "INSERT INTO delivery_history (id, transaction_date, transaction_time, salesperson, customer_id,"
                " customer_code, qty_50kg, qty_20kg, qty_16kg, flow_20kg, total_cylinders, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
                row,
            )
        history_items = [
            # id, record, product, quantity, price, flow, flow kg
            (1, 1, 2, 1, 2300.0, False, None),
            (2, 1, 1, 2, 950.0, False, None),
            (3, 2, 1, 1, 950.0, False, None),
            (4, 2, 1, 0, 38.5, True, 12.5),  # by flow meter: the price is per kg
            (5, 3, 3, 2, 820.5, False, None),
            (6, 3, 1, -1, 950.0, False, None),  # negative quantity
            (7, 4, 1, 2, 950.0, False, None),
        ]
        for row in history_items:
            connection.execute(
                "INSERT INTO delivery_history_items (id, delivery_history_id, gas_product_id, quantity, unit_price,"
                " subtotal, is_flow_delivery, flow_quantity) VALUES (%s, %s, %s, %s, %s, 0, %s, %s)",
                row,
            )
        # Orphans: a record of a customer v3 no longer has, a line of a product it no longer has.
        connection.execute("SET session_replication_role = replica")
        connection.execute(
            "INSERT INTO delivery_history (id, transaction_date, customer_id, qty_20kg, total_cylinders)"
            " VALUES (5, '2024-03-05', 999, 4, 4)"
        )
        connection.execute(
            "INSERT INTO delivery_history_items (id, delivery_history_id, gas_product_id, quantity, unit_price,"
            " subtotal) VALUES (8, 1, 77, 1, 100, 100)"
        )
        connection.execute("SET session_replication_role = DEFAULT")
        routes = [
            # id, number, day, driver, vehicle, status
            (1, "R-1", "2026-11-02", 1, 1, "COMPLETED"),
            (2, "R-2", "2026-11-02", 1, 2, "COMPLETED"),  # the same driver's second route that day
            (3, "R-3", "2026-11-03", 2, 3, "CANCELLED"),  # vehicle 3 is not imported; never completed
            (4, "R-4", "2099-01-01", 1, 1, "PLANNED"),  # not a past route
            (5, "R-5", "2026-11-04", None, 1, "COMPLETED"),  # no driver
        ]
        for row in routes:
            connection.execute(
                "INSERT INTO routes (id, route_number, scheduled_date, date, driver_id, vehicle_id, status, updated_at)"
                " VALUES (%(0)s, %(1)s, %(2)s, %(2)s::date + time '08:00', %(3)s, %(4)s, %(5)s, now())",
                {str(i): value for i, value in enumerate(row)},
            )
        stops = [
            # id, route, order, sequence, status, delivered at, issue, notes
            (1, 1, 1, 2, "DELIVERED", "2026-11-02 03:10+00", None, "放門口"),
            (2, 1, 5, 1, "FAILED", None, "absent", "沒人在家"),
            (3, 3, 4, 1, "ARRIVED", None, None, None),  # arrived, never delivered
            (4, 3, 1, 2, "DELIVERED", "2026-11-03 03:00+00", None, None),  # order 1 is a stop of route 1
            (5, 3, 3, -1, "PENDING", None, None, None),  # not a stop number
            (6, 2, 2, 1, "DELIVERED", "2026-11-02 05:00+00", None, None),  # route 2 is not imported
            (8, 3, 2, 1, "DELIVERED", "2026-11-03 04:00+00", None, None),  # stop number 1 twice on route 3
        ]
        for row in stops:
            connection.execute(
                "INSERT INTO route_deliveries (id, route_id, order_id, sequence, status, delivered_at, issue_type,"
                " notes, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())",
                row,
            )
        connection.execute("SET session_replication_role = replica")
        connection.execute(
            "INSERT INTO route_deliveries (id, route_id, order_id, sequence, status)"
            " VALUES (7, 1, 6, 3, 'DELIVERED')"  # order 6 is an orphan, not imported
        )
        connection.execute("SET session_replication_role = DEFAULT")
        batches = [(1, "B-1", "822"), (2, "B-2", "82X")]  # a bank code that is none
        for row in batches:
            connection.execute(
                "INSERT INTO payment_batches (id, batch_number, bank_code, file_name, file_format, processing_date)"
                " VALUES (%s, %s, %s, 'ach.txt', 'fixed_width', '2026-11-20')",
                row,
            )
        debits = [
            # id, batch, transaction, customer, account, holder, amount, status
            (1, 1, "T-1", 1, "0012-3456 7890", "王記麵館", 1900.0, "SUCCESS"),
            (2, 1, "T-2", 2, "１２３４５６７８", "林小姐", 950.5, "PENDING"),  # full-width digits
            (3, 2, "T-3", 6, "12345678", "林小姐", 500.0, "FAILED"),  # batch 2's bank code is none
            (4, 1, "T-4", 3, "ACCT-NO?", " ", 820.0, "REJECTED"),  # no account number, no holder
        ]
        for row in debits:
            connection.execute(
                "INSERT INTO payment_transactions (id, batch_id, transaction_id, customer_id, account_number,"
                " account_holder, amount, status, scheduled_date, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '2026-11-20 01:00', now())",
                row,
            )
        connection.execute("SET session_replication_role = replica")
        connection.execute(
            "INSERT INTO payment_transactions (id, batch_id, transaction_id, customer_id, account_number,"
            " account_holder, amount, scheduled_date) VALUES (5, 1, 'T-5', 999, '99998888', '某人', 300, now())"
        )
        connection.execute("SET session_replication_role = DEFAULT")
        for table in TABLES:
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
    return {"customers": len(customers), "orders": len(orders) + 1}
