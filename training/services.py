"""Practice sets: created per trainee by `seed_demo --training N`, removed and recreated by `reset_training`."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery import demo, roles
from luckygas.delivery.models import (
    Customer,
    CustomerType,
    CylinderProduct,
    DeliverySlot,
    Driver,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Route,
    RouteStatus,
    RouteStop,
    Vehicle,
)
from training.models import PracticeSet

TRAINEE_PREFIX = "trainee"
CUSTOMERS_PER_TRAINEE = 8
ROUTED_ORDERS = 4  # on today's practice route; the rest wait to be assigned
UNROUTED_ORDERS = 3


@dataclass
class TrainingReport:
    trainees: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: {"customers": 0, "orders": 0, "routes": 0})


def trainee_username(number: int) -> str:
    return f"{TRAINEE_PREFIX}{number}"


def _trainee_number(username: str) -> int:
    suffix = username.removeprefix(TRAINEE_PREFIX)
    if not username.startswith(TRAINEE_PREFIX) or not suffix.isdigit() or int(suffix) < 1:
        raise ValidationError(
            {"trainee": _("%(name)s is no trainee account (trainee1, trainee2, …).") % {"name": username}}
        )
    return int(suffix)


def _account(username: str, role: str, *, password_hash: str, is_staff: bool) -> models.Model:
    user_model = get_user_model()
    account, created = user_model.objects.get_or_create(
        username=username,
        defaults={"is_staff": is_staff, "password": password_hash, "email": f"{username}@training.luckygas.example"},
    )
    if not created:
        user_model.objects.filter(pk=account.pk).update(password=password_hash, is_active=True)
    account.groups.set([Group.objects.get(name=role)])
    return account


def _unused_mobile(rng: random.Random) -> str:
    """A mobile number no real customer has, so a message to it is never mistaken for a real one."""
    while True:
        number = demo.mobile_number(rng)
        if not Customer.objects.filter(models.Q(mobile=number) | models.Q(phone=number)).exists():
            return number


def practice_set_create(*, number: int, password: str, report: TrainingReport | None = None) -> PracticeSet:
    """Create trainee N's account, practice driver and fresh practice data. The trainee has none yet."""
    report = report or TrainingReport()
    username = trainee_username(number)
    password_hash = make_password(password)
    rng = random.Random(f"training-{number}")  # noqa: S311 - made-up practice data, not secrets
    today = timezone.localdate()
    products = {product.code: product for product in CylinderProduct.objects.filter(is_active=True)}
    product = products.get("LPG-20") or next(iter(products.values()), None)
    if product is None:
        raise ValidationError({"product": _("Practice orders need at least one active cylinder product.")})
    with transaction.atomic():
        trainee = _account(username, roles.OFFICE, password_hash=password_hash, is_staff=True)
        driver_account = _account(f"{username}-driver", roles.DRIVER, password_hash=password_hash, is_staff=False)
        vehicle, _created = Vehicle.objects.get_or_create(plate_number=f"TRN-{number:04d}")
        driver, _created = Driver.objects.update_or_create(
            user=driver_account,
            defaults={
                "name": f"練習司機 {number}",  # data, in the office's language like the demo's
                "phone": _unused_mobile(rng),
                "default_vehicle": vehicle,
                "is_active": True,
            },
        )
        practice_set, _created = PracticeSet.objects.update_or_create(trainee=trainee, defaults={"driver": driver})
        if practice_set.customers.exists():
            raise ValidationError(
                {"trainee": _("%(name)s already has practice data; reset it first.") % {"name": username}}
            )
        customers = []
        for index in range(1, CUSTOMERS_PER_TRAINEE + 1):
            city, district, street = demo.address(rng)
            latitude, longitude = demo.coordinates(rng, district)
            mobile = _unused_mobile(rng)
            customers.append(
                Customer.objects.create(
                    code=f"TR{number:03d}-{index:02d}",
                    customer_type=CustomerType.HOUSEHOLD,
                    short_name=f"練習 {demo.person_name(rng)}",
                    phone=mobile,
                    mobile=mobile,
                    city=city,
                    district=district,
                    address=street,
                    latitude=latitude,
                    longitude=longitude,
                    area=f"{district}-T",
                    preferred_slot=DeliverySlot.ALL_DAY,
                    payment_method=PaymentMethod.CASH,
                )
            )
        practice_set.customers.set(customers)
        route = Route.objects.create(driver=driver, date=today, vehicle=vehicle, status=RouteStatus.PLANNED)
        for index, customer in enumerate(customers[: ROUTED_ORDERS + UNROUTED_ORDERS]):
            is_routed = index < ROUTED_ORDERS
            order = Order.objects.create(
                customer=customer,
                status=OrderStatus.SCHEDULED if is_routed else OrderStatus.PENDING,
                delivery_date=today if is_routed else today + datetime.timedelta(days=1),
                payment_method=customer.payment_method,
                total_amount=product.price,
                status_changed_at=timezone.now(),
                created_by=trainee,
            )
            OrderLine.objects.create(order=order, product=product, quantity=1, unit_price=product.price)
            if is_routed:
                RouteStop.objects.create(route=route, order=order, sequence=index + 1)
            report.created["orders"] += 1
    report.created["customers"] += len(customers)
    report.created["routes"] += 1
    report.trainees.append(username)
    return practice_set


def _delete_with_dependents(queryset: models.QuerySet, depth: int = 0) -> int:
    """Delete rows and, first, the rows that protect them (records made while practising: stops, sync actions…).

    Only rows that point at practice rows are removed this way; they exist because of the practice data.
    """
    if depth > 10:
        raise RuntimeError("practice data has dependents nested too deeply to delete")
    while True:
        try:
            deleted, _by_model = queryset.delete()
        except (ProtectedError, RestrictedError) as error:
            blocking = error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
            by_model: dict[type[models.Model], set[int]] = {}
            for row in blocking:
                by_model.setdefault(type(row), set()).add(row.pk)
            for model, pks in by_model.items():
                _delete_with_dependents(model._base_manager.filter(pk__in=pks), depth + 1)
            continue
        return deleted


def practice_data_delete(*, practice_set: PracticeSet) -> None:
    """Remove one trainee's practice customers, their orders, invoices and the practice driver's routes.

    The trainee's accounts, practice driver and vehicle stay, so phones registered for practice still work.
    """
    customer_ids = list(practice_set.customers.values_list("pk", flat=True))
    with transaction.atomic():
        if practice_set.driver_id is not None:
            _delete_with_dependents(RouteStop.objects.filter(route__driver_id=practice_set.driver_id))
            _delete_with_dependents(Route.objects.filter(driver_id=practice_set.driver_id))
        _delete_with_dependents(RouteStop.objects.filter(order__customer_id__in=customer_ids))
        _delete_with_dependents(Order.objects.filter(customer_id__in=customer_ids))
        _delete_with_dependents(Invoice.objects.filter(customer_id__in=customer_ids))
        practice_set.customers.clear()
        _delete_with_dependents(Customer.objects.filter(pk__in=customer_ids))


def practice_sets_reset(*, trainee: str | None, password: str) -> TrainingReport:
    """Delete and recreate the practice data of one trainee (by username) or of every trainee."""
    sets = PracticeSet.objects.select_related("trainee").order_by("trainee__username")
    if trainee is not None:
        _trainee_number(trainee)
        sets = sets.filter(trainee__username=trainee)
        if not sets.exists():
            raise ValidationError({"trainee": _("%(name)s has no practice set.") % {"name": trainee}})
    report = TrainingReport()
    with transaction.atomic():
        for practice_set in list(sets):
            number = _trainee_number(practice_set.trainee.get_username())
            practice_data_delete(practice_set=practice_set)
            practice_set_create(number=number, password=password, report=report)
    return report


def practice_sets_seed(*, count: int, password: str) -> TrainingReport:
    """Practice sets for trainee1…traineeN: created where missing, left alone where they exist."""
    if count < 0:
        raise ValidationError({"training": _("The number of trainees cannot be negative.")})
    report = TrainingReport()
    for number in range(1, count + 1):
        existing = PracticeSet.objects.filter(trainee__username=trainee_username(number)).first()
        if existing is not None and existing.customers.exists():
            continue
        practice_set_create(number=number, password=password, report=report)
    return report
