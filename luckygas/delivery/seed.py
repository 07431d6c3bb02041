"""Demo data for `manage.py seed_demo`: deterministic, idempotent and bulk-inserted.

Small by default (a believable week for a person to click through); with `customers=100_000,
orders=1_000_000` it spreads orders over a year for benchmarks. Running it again adds only
what is missing, so counts never grow on a second run.
"""

import contextlib
import datetime
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from luckygas.delivery import demo, roles
from luckygas.delivery.models import (
    Customer,
    CustomerType,
    Cylinder,
    CylinderLocation,
    CylinderProduct,
    DeliverySlot,
    Driver,
    Invoice,
    InvoiceStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderTemplate,
    Payment,
    PaymentChannel,
    PaymentMethod,
    Recurrence,
    Route,
    RouteStatus,
    RouteStop,
    StopStatus,
    Vehicle,
)
from luckygas.delivery.services import OrderLineInput, order_template_create

PRODUCTS = [
    ("LPG-04", "4 公斤桶裝瓦斯", 4, 320, 800),
    ("LPG-10", "10 公斤桶裝瓦斯", 10, 560, 1200),
    ("LPG-16", "16 公斤桶裝瓦斯", 16, 820, 1500),
    ("LPG-20", "20 公斤桶裝瓦斯", 20, 950, 1800),
    ("LPG-50", "50 公斤桶裝瓦斯", 50, 2300, 3500),
]
CUSTOMER_TYPE_WEIGHTS = [
    (CustomerType.HOUSEHOLD, 60),
    (CustomerType.RESTAURANT, 25),
    (CustomerType.COMMERCIAL, 7),
    (CustomerType.INDUSTRIAL, 3),
    (CustomerType.SCHOOL, 3),
    (CustomerType.HOSPITAL, 2),
]
STOPS_PER_DRIVER = 40
BATCH = 5000
WINDOW_DAYS_BEFORE = 3
WINDOW_DAYS_AFTER = 3


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    users: list[str] = field(default_factory=list)


def _customer_code(number: int) -> str:
    return f"C{number:06d}"


@contextlib.contextmanager
def _explicit_created_at(model: type[models.Model]) -> Iterator[None]:
    """Let bulk_create keep the back-dated `created_at` that auto_now_add would overwrite."""
    created_at = model._meta.get_field("created_at")
    created_at.auto_now_add = False
    try:
        yield
    finally:
        created_at.auto_now_add = True


def _order_dates(today: datetime.date, order_count: int) -> list[datetime.date]:
    """The week around today for a demo; a longer history when many orders are asked for."""
    # Always cover the whole previous month, so there is something to invoice.
    days_back = max(62, math.ceil(order_count / 3000))
    return [today + datetime.timedelta(days=offset) for offset in range(-days_back, WINDOW_DAYS_AFTER + 1)]


def _status_for(rng: random.Random, day: datetime.date, today: datetime.date) -> str:
    roll = rng.random()
    if day < today:
        return OrderStatus.DELIVERED if roll < 0.9 else (OrderStatus.FAILED if roll < 0.93 else OrderStatus.CANCELLED)
    if day == today:
        if roll < 0.45:
            return OrderStatus.DELIVERED
        return OrderStatus.OUT_FOR_DELIVERY if roll < 0.9 else OrderStatus.FAILED
    return OrderStatus.PENDING if roll < 0.3 else (OrderStatus.CONFIRMED if roll < 0.6 else OrderStatus.SCHEDULED)


def seed_reference_data(*, password: str, driver_count: int, report: SeedReport) -> list[Driver]:
    for code, name, size, price, deposit in PRODUCTS:
        CylinderProduct.objects.update_or_create(
            code=code, defaults={"name": name, "size_kg": size, "price": price, "deposit": deposit}
        )
    user_model = get_user_model()
    password_hash = make_password(password)
    groups = {group.name: group for group in Group.objects.filter(name__in=roles.ALL_ROLES)}

    def user(username: str, role: str, *, is_staff: bool, is_superuser: bool = False):
        account, _created = user_model.objects.update_or_create(
            username=username,
            defaults={
                "is_staff": is_staff,
                "is_superuser": is_superuser,
                "password": password_hash,
                "email": f"{username}@luckygas.example",
            },
        )
        account.groups.set([groups[role]])
        report.users.append(username)
        return account

    user("admin", roles.ADMIN, is_staff=True, is_superuser=True)
    user("manager", roles.MANAGER, is_staff=True)
    user("office", roles.OFFICE, is_staff=True)
    drivers = []
    for number in range(1, driver_count + 1):
        vehicle, _created = Vehicle.objects.get_or_create(plate_number=f"KLG-{number:04d}")
        account = user(f"driver{number}", roles.DRIVER, is_staff=False)
        name = demo.DRIVER_NAMES[number - 1] if number <= len(demo.DRIVER_NAMES) else f"司機{number:02d}"
        driver, _created = Driver.objects.update_or_create(
            user=account,
            defaults={"name": name, "phone": demo.mobile_number(random.Random(number)), "default_vehicle": vehicle},
        )
        drivers.append(driver)
    return drivers


def seed_customers(*, count: int, rng: random.Random, report: SeedReport) -> None:
    existing = set(Customer.objects.filter(code__regex=r"^C\d{6}$").values_list("code", flat=True))
    types, weights = zip(*CUSTOMER_TYPE_WEIGHTS, strict=True)
    products = list(CylinderProduct.objects.order_by("size_kg"))
    batch: list[Customer] = []
    for number in range(1, count + 1):
        # Draw for every customer, created or not, so customer N is the same on every run.
        customer_rng = random.Random(rng.random())
        code = _customer_code(number)
        if code in existing:
            continue
        customer_type = customer_rng.choices(types, weights)[0]
        city, district, street = demo.address(customer_rng)
        latitude, longitude = demo.coordinates(customer_rng, district)
        is_business = customer_type != CustomerType.HOUSEHOLD
        if customer_type == CustomerType.HOUSEHOLD:
            payment_method = PaymentMethod.CASH if customer_rng.random() < 0.85 else PaymentMethod.DIRECT_DEBIT
        elif customer_type == CustomerType.RESTAURANT:
            payment_method = PaymentMethod.MONTHLY_INVOICE if customer_rng.random() < 0.6 else PaymentMethod.CASH
        else:
            payment_method = (
                PaymentMethod.DIRECT_DEBIT if customer_rng.random() < 0.6 else PaymentMethod.MONTHLY_INVOICE
            )
        name = demo.business_name(customer_rng, customer_type) if is_business else demo.person_name(customer_rng)
        mobile = demo.mobile_number(customer_rng)
        batch.append(
            Customer(
                code=code,
                customer_type=customer_type,
                short_name=name,
                invoice_title=name if is_business else "",
                tax_id=demo.tax_id(customer_rng) if is_business else "",
                phone=demo.landline_number(customer_rng) if is_business else mobile,
                mobile=mobile,
                city=city,
                district=district,
                address=street,
                latitude=latitude,
                longitude=longitude,
                area=f"{district}-{customer_rng.choice('ABC')}",
                preferred_slot=customer_rng.choice(DeliverySlot.values),
                closed_days=[6] if customer_type == CustomerType.SCHOOL else [],
                delivery_notes=customer_rng.choice(["", "", "請按電鈴", "放後門", "管理室代收", "中午休息勿送"]),
                payment_method=payment_method,
                credit_limit=0 if payment_method == PaymentMethod.CASH else customer_rng.choice([5000, 10000, 30000]),
            )
        )
        if len(batch) >= BATCH:
            _flush_customers(batch, products, report)
            batch = []
    if batch:
        _flush_customers(batch, products, report)


def _flush_customers(batch: list[Customer], products: list[CylinderProduct], report: SeedReport) -> None:
    with transaction.atomic():
        Customer.objects.bulk_create(batch, ignore_conflicts=True)
        ids = dict(Customer.objects.filter(code__in=[c.code for c in batch]).values_list("code", "id"))
        today = timezone.localdate()
        cylinders = []
        for customer in batch:
            product = products[3] if customer.customer_type == CustomerType.HOUSEHOLD else products[4]
            for index in range(1 if customer.customer_type == CustomerType.HOUSEHOLD else 2):
                cylinders.append(
                    Cylinder(
                        serial_number=f"LG{customer.code[1:]}{index}",
                        product=product,
                        next_inspection_date=today + datetime.timedelta(days=30 + (ids[customer.code] * 37) % 1500),
                        location=CylinderLocation.CUSTOMER,
                        customer_id=ids[customer.code],
                    )
                )
        Cylinder.objects.bulk_create(cylinders, ignore_conflicts=True)
    report.created["customers"] += len(batch)
    report.created["cylinders"] += len(cylinders)


def seed_orders(*, count: int, customer_count: int, rng: random.Random, report: SeedReport) -> None:
    demo_orders = Order.objects.filter(customer__code__regex=r"^C\d{6}$")
    missing = count - demo_orders.count()
    if missing <= 0:
        return
    today = timezone.localdate()
    dates = _order_dates(today, count)
    customers = list(
        Customer.objects.filter(code__in=[_customer_code(n) for n in range(1, customer_count + 1)]).values_list(
            "id", "payment_method", "preferred_slot", "customer_type"
        )
        if customer_count <= 20000
        else Customer.objects.filter(code__regex=r"^C\d{6}$").values_list(
            "id", "payment_method", "preferred_slot", "customer_type"
        )
    )
    products = list(CylinderProduct.objects.order_by("size_kg"))
    now = timezone.now()
    remaining = missing
    while remaining:
        size = min(BATCH, remaining)
        remaining -= size
        orders, chosen = [], []
        for _index in range(size):
            customer_id, payment_method, slot, customer_type = rng.choice(customers)
            day = rng.choice(dates)
            product = products[3] if customer_type == CustomerType.HOUSEHOLD else rng.choice(products[2:])
            quantity = 1 if customer_type == CustomerType.HOUSEHOLD else rng.randint(1, 4)
            status = _status_for(rng, day, today)
            moment = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time(8 + rng.randint(0, 11), rng.randint(0, 59)))
            )
            orders.append(
                Order(
                    # Back-dated to the day before delivery, when the customer called.
                    created_at=moment - datetime.timedelta(days=1),
                    customer_id=customer_id,
                    status=status,
                    delivery_date=day,
                    slot=slot,
                    payment_method=payment_method,
                    total_amount=product.price * quantity,
                    status_changed_at=min(moment, now),
                    delivered_at=min(moment, now) if status == OrderStatus.DELIVERED else None,
                )
            )
            chosen.append((product, quantity))
        with transaction.atomic(), _explicit_created_at(Order):
            Order.objects.bulk_create(orders)
            OrderLine.objects.bulk_create(
                OrderLine(order_id=order.pk, product=product, quantity=quantity, unit_price=product.price)
                for order, (product, quantity) in zip(orders, chosen, strict=True)
            )
        report.created["orders"] += size


def seed_routes(*, drivers: list[Driver], report: SeedReport) -> None:
    """Put the week's confirmed-and-later orders on driver routes, 40 stops per route."""
    today = timezone.localdate()
    routed_statuses = [
        OrderStatus.SCHEDULED,
        OrderStatus.OUT_FOR_DELIVERY,
        OrderStatus.DELIVERED,
        OrderStatus.FAILED,
    ]
    window = (today - datetime.timedelta(days=WINDOW_DAYS_BEFORE), today + datetime.timedelta(days=WINDOW_DAYS_AFTER))
    unrouted = (
        Order.objects.filter(delivery_date__range=window, status__in=routed_statuses, stop__isnull=True)
        .order_by("delivery_date", "customer__area", "pk")
        .values_list("pk", "delivery_date", "status", "total_amount", "payment_method", "delivered_at")
    )
    by_day: dict[datetime.date, list[tuple]] = defaultdict(list)
    for row in unrouted:
        by_day[row[1]].append(row)
    stop_status = {
        OrderStatus.DELIVERED: StopStatus.DELIVERED,
        OrderStatus.FAILED: StopStatus.FAILED,
    }
    for day, rows in sorted(by_day.items()):
        for chunk_start in range(0, len(rows), STOPS_PER_DRIVER * len(drivers)):
            chunk = rows[chunk_start : chunk_start + STOPS_PER_DRIVER * len(drivers)]
            with transaction.atomic():
                stops = []
                for index, driver in enumerate(drivers):
                    mine = chunk[index * STOPS_PER_DRIVER : (index + 1) * STOPS_PER_DRIVER]
                    if not mine:
                        break
                    route, _created = Route.objects.get_or_create(
                        driver=driver,
                        date=day,
                        defaults={
                            "vehicle": driver.default_vehicle,
                            "status": RouteStatus.COMPLETED
                            if day < today
                            else (RouteStatus.IN_PROGRESS if day == today else RouteStatus.PLANNED),
                        },
                    )
                    start = route.stops.count()
                    for offset, (pk, _day, status, total, payment_method, delivered_at) in enumerate(mine, start=1):
                        final = stop_status.get(status)
                        stops.append(
                            RouteStop(
                                route=route,
                                order_id=pk,
                                sequence=start + offset,
                                status=final or StopStatus.PENDING,
                                completed_at=delivered_at,
                                cash_collected=total
                                if final == StopStatus.DELIVERED and payment_method == "cash"
                                else 0,
                                empties_collected=1 if final == StopStatus.DELIVERED else 0,
                                outcome_note="客戶不在家" if final == StopStatus.FAILED else "",
                            )
                        )
                RouteStop.objects.bulk_create(stops, batch_size=BATCH)
                report.created["route stops"] += len(stops)


def seed_invoices(*, report: SeedReport) -> None:
    """Last month's delivered orders of invoice and direct-debit customers, invoiced on the 1st."""
    today = timezone.localdate()
    first_of_month = today.replace(day=1)
    last_month_start = (first_of_month - datetime.timedelta(days=1)).replace(day=1)
    issue_date = first_of_month
    due_date = first_of_month + datetime.timedelta(days=19)
    totals: dict[int, int] = defaultdict(int)
    for customer_id, amount in Order.objects.filter(
        delivery_date__gte=last_month_start,
        delivery_date__lt=first_of_month,
        status=OrderStatus.DELIVERED,
        invoice__isnull=True,
        customer__payment_method__in=[PaymentMethod.MONTHLY_INVOICE, PaymentMethod.DIRECT_DEBIT],
    ).values_list("customer_id", "total_amount"):
        totals[customer_id] += amount
    if not totals:
        return
    invoices = [
        Invoice(
            customer_id=customer_id,
            number=f"INV{issue_date:%Y%m}{customer_id:07d}",
            issue_date=issue_date,
            due_date=due_date,
            amount=amount,
        )
        for customer_id, amount in sorted(totals.items())
    ]
    with transaction.atomic():
        Invoice.objects.bulk_create(invoices, batch_size=BATCH, ignore_conflicts=True)
        numbers = {invoice.number for invoice in invoices}
        by_customer = dict(Invoice.objects.filter(number__in=numbers).values_list("customer_id", "id"))
        # One statement for every customer's orders, not one UPDATE per customer.
        Order.objects.filter(
            delivery_date__gte=last_month_start,
            delivery_date__lt=first_of_month,
            status=OrderStatus.DELIVERED,
            invoice__isnull=True,
            customer_id__in=Invoice.objects.filter(issue_date=issue_date).values("customer_id"),
        ).update(
            invoice_id=Subquery(
                Invoice.objects.filter(customer_id=OuterRef("customer_id"), issue_date=issue_date).values("id")[:1]
            )
        )
        # A third of the monthly-invoice customers already paid by transfer.
        paid = Invoice.objects.filter(
            number__in=numbers,
            customer__payment_method=PaymentMethod.MONTHLY_INVOICE,
            status=InvoiceStatus.OPEN,
            id__in=[invoice_id for invoice_id in by_customer.values() if invoice_id % 3 == 0],
        )
        received = timezone.now()
        Payment.objects.bulk_create(
            [
                Payment(
                    invoice_id=invoice.pk,
                    amount=invoice.amount,
                    channel=PaymentChannel.BANK_TRANSFER,
                    received_at=received,
                    reference=f"DEMO-{invoice.number}",
                )
                for invoice in paid
            ],
            ignore_conflicts=True,
        )
        paid.update(status=InvoiceStatus.PAID, paid_at=received)
    report.created["invoices"] += len(by_customer)


def seed_order_templates(*, report: SeedReport) -> None:
    """A few recurring orders, as restaurants and schools place them: once (a second seed adds none)."""
    if OrderTemplate.objects.filter(customer__code__regex=r"^C\d{6}$").exists():
        return
    start = timezone.localdate() - datetime.timedelta(days=28)
    products = {product.code: product for product in CylinderProduct.objects.filter(code__in=["LPG-20", "LPG-50"])}
    plans = [
        (CustomerType.RESTAURANT, 4, "每週一、四 20 公斤", Recurrence.WEEKLY, [0, 3], None, "LPG-20", 2),
        (CustomerType.SCHOOL, 2, "每月 1 日 50 公斤", Recurrence.MONTHLY, [], 1, "LPG-50", 3),
        (CustomerType.COMMERCIAL, 2, "隔週五 20 公斤", Recurrence.WEEKLY, [4], None, "LPG-20", 1),
    ]
    for customer_type, count, name, recurrence, weekdays, day, product_code, quantity in plans:
        customers = Customer.objects.filter(
            customer_type=customer_type, is_active=True, code__regex=r"^C\d{6}$"
        ).order_by("code")[:count]
        for customer in customers:
            order_template_create(
                customer=customer,
                name=name,
                lines=[OrderLineInput(product=products[product_code], quantity=quantity)],
                recurrence=recurrence,
                interval=2 if name.startswith("隔週") else 1,
                weekdays=weekdays,
                day_of_month=day,
                starts_on=start,
            )
            report.created["order templates"] += 1


def seed_demo(
    *, customers: int, orders: int, password: str, progress: Callable[[str], None] = lambda _message: None
) -> SeedReport:
    """Create (or complete) the demo data set. Deterministic for given sizes."""
    report = SeedReport()
    rng = random.Random(20260101)
    busiest_day = orders / max(1, len(_order_dates(timezone.localdate(), orders)))
    driver_count = max(5, math.ceil(busiest_day / STOPS_PER_DRIVER))
    progress("reference data and users")
    drivers = seed_reference_data(password=password, driver_count=driver_count, report=report)
    progress(f"{customers:,} customers")
    seed_customers(count=customers, rng=rng, report=report)
    progress(f"{orders:,} orders")
    seed_orders(count=orders, customer_count=customers, rng=rng, report=report)
    progress("routes")
    seed_routes(drivers=drivers, report=report)
    progress("invoices")
    seed_invoices(report=report)
    progress("recurring orders")
    seed_order_templates(report=report)
    return report
