"""Practice sets: one per trainee, apart from each other and from real data; reset never touches real rows."""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from dashboard.exports import REPORTS
from dashboard.metrics.base import Period
from luckygas.delivery import roles
from luckygas.delivery.models import Customer, Order, OrderLine, Route, RouteStop
from tests.delivery.factories import CustomerFactory, OrderFactory, ProductFactory
from training import selectors
from training.models import PracticeSet
from training.services import practice_sets_seed

pytestmark = pytest.mark.django_db

PASSWORD = "practice-password"


@pytest.fixture(autouse=True)
def _demo_settings(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEBUG = True  # practice data lives in a demo or training copy, as `make run` serves it


@pytest.fixture
def real_data(db) -> list[Order]:
    """A real customer with two orders, as the office has them."""
    ProductFactory()
    customer = CustomerFactory()
    return [OrderFactory(customer=customer), OrderFactory(customer=customer)]


def _real_counts() -> dict[str, object]:
    """Every real row of the models practice data lives in, with its content, to compare before and after."""
    practice_customers = selectors.practice_customers()
    return {
        "customers": list(
            Customer.objects.exclude(pk__in=practice_customers).order_by("pk").values_list("pk", "code", "short_name")
        ),
        "orders": list(
            Order.objects.exclude(customer__in=practice_customers)
            .order_by("pk")
            .values_list("pk", "status", "total_amount", "delivery_date")
        ),
        "order lines": OrderLine.objects.exclude(order__customer__in=practice_customers).count(),
        "routes": Route.objects.exclude(driver__in=selectors.practice_drivers()).count(),
    }


def test_each_trainee_gets_an_office_account_a_practice_driver_and_their_own_practice_data(real_data) -> None:
    # when
    report = practice_sets_seed(count=3, password=PASSWORD)
    # then
    assert report.trainees == ["trainee1", "trainee2", "trainee3"]
    assert report.created == {"customers": 24, "orders": 21, "routes": 3}
    sets = list(PracticeSet.objects.select_related("trainee", "driver__user"))
    assert [practice_set.trainee.username for practice_set in sets] == ["trainee1", "trainee2", "trainee3"]
    for number, practice_set in enumerate(sets, start=1):
        trainee = practice_set.trainee
        assert trainee.check_password(PASSWORD)
        assert trainee.is_staff
        assert list(trainee.groups.values_list("name", flat=True)) == [roles.OFFICE]
        assert practice_set.driver.user.username == f"trainee{number}-driver"
        assert list(practice_set.driver.user.groups.values_list("name", flat=True)) == [roles.DRIVER]
        assert practice_set.driver.name == f"練習司機 {number}"
        customers = list(practice_set.customers.order_by("code"))
        assert [customer.code for customer in customers] == [f"TR{number:03d}-{index:02d}" for index in range(1, 9)]
        assert all(customer.short_name.startswith("練習 ") for customer in customers)
        # the trainee's orders are of their own customers only; the route is their practice driver's
        orders = Order.objects.filter(customer__in=customers)
        assert orders.count() == 7
        route = Route.objects.get(driver=practice_set.driver)
        assert route.date == timezone.localdate()
        assert set(RouteStop.objects.filter(route=route).values_list("order__customer__practice_sets", flat=True)) == {
            practice_set.pk
        }
    # no customer belongs to two sets, and the real customer to none
    assert selectors.practice_customers().count() == 24
    assert not selectors.customer_is_practice(customer_id=real_data[0].customer_id)
    assert selectors.customer_is_practice(customer_id=sets[0].customers.first().pk)


def test_a_second_seed_adds_no_practice_data(real_data) -> None:
    practice_sets_seed(count=2, password=PASSWORD)

    report = practice_sets_seed(count=2, password=PASSWORD)

    assert report.trainees == []
    assert selectors.practice_customers().count() == 16


def test_practice_mobiles_are_no_real_customers_numbers(real_data) -> None:
    practice_sets_seed(count=2, password=PASSWORD)

    real_numbers = set(Customer.objects.exclude(pk__in=selectors.practice_customers()).values_list("mobile", flat=True))
    practice_numbers = set(selectors.practice_customers().values_list("mobile", flat=True))
    assert len(practice_numbers) == 16
    assert not real_numbers & practice_numbers


def test_exported_and_emailed_order_reports_leave_practice_orders_out(real_data) -> None:
    practice_sets_seed(count=1, password=PASSWORD)
    today = timezone.localdate()
    period = Period(today - datetime.timedelta(days=400), today + datetime.timedelta(days=400))

    rows = REPORTS["orders"].count_rows(period)

    assert rows == 2
    assert Order.objects.count() == 9


def test_reset_of_one_trainee_recreates_only_theirs_and_leaves_real_data_unchanged(real_data) -> None:
    # given: two trainees, one of whom practised (a stop delivered, an extra order taken)
    practice_sets_seed(count=2, password=PASSWORD)
    trainee1, trainee2 = PracticeSet.objects.order_by("trainee__username")
    practised = RouteStop.objects.filter(route__driver=trainee1.driver).order_by("sequence").first()
    RouteStop.objects.filter(pk=practised.pk).update(status="delivered", cash_collected=950)
    OrderFactory(customer=trainee1.customers.first())
    trainee2_customers = list(trainee2.customers.order_by("pk").values_list("pk", flat=True))
    before = _real_counts()
    # when
    out = io.StringIO()
    call_command("reset_training", "--trainee", "trainee1", "--password", PASSWORD, stdout=out)
    # then
    assert _real_counts() == before
    trainee1.refresh_from_db()
    assert trainee1.customers.count() == 8
    assert Order.objects.filter(customer__in=trainee1.customers.all()).count() == 7
    assert not RouteStop.objects.filter(route__driver=trainee1.driver, status="delivered").exists()
    assert not RouteStop.objects.filter(pk=practised.pk).exists()
    assert list(trainee2.customers.order_by("pk").values_list("pk", flat=True)) == trainee2_customers
    assert "trainee1" in out.getvalue()
    assert "trainee2" not in out.getvalue()


def test_reset_of_every_trainee_leaves_real_data_unchanged(real_data) -> None:
    practice_sets_seed(count=3, password=PASSWORD)
    old_practice = set(selectors.practice_customers().values_list("pk", flat=True))
    before = _real_counts()

    call_command("reset_training", "--password", PASSWORD, stdout=io.StringIO())

    assert _real_counts() == before
    new_practice = set(selectors.practice_customers().values_list("pk", flat=True))
    assert len(new_practice) == 24
    assert not old_practice & new_practice
    assert not Customer.objects.filter(pk__in=old_practice).exists()


def test_reset_of_an_unknown_trainee_is_refused_by_name(real_data) -> None:
    practice_sets_seed(count=1, password=PASSWORD)
    before = _real_counts()

    with translation.override("zh-hant"):
        with pytest.raises(CommandError, match=r"^trainee7 沒有練習資料組。$"):
            call_command("reset_training", "--trainee", "trainee7", stdout=io.StringIO())
        with pytest.raises(CommandError, match=r"^office 不是學員帳號（trainee1、trainee2…）。$"):
            call_command("reset_training", "--trainee", "office", stdout=io.StringIO())
    with translation.override("en"), pytest.raises(CommandError, match=r"^trainee7 has no practice set\.$"):
        call_command("reset_training", "--trainee", "trainee7", stdout=io.StringIO())

    assert _real_counts() == before
    assert selectors.practice_customers().count() == 8


def test_reset_is_refused_with_debug_off_unless_forced(settings, real_data) -> None:
    settings.DEBUG = False
    practice_sets_seed(count=1, password=PASSWORD)
    old_practice = set(selectors.practice_customers().values_list("pk", flat=True))

    with pytest.raises(CommandError, match="DJANGO_DEBUG off"):
        call_command("reset_training", stdout=io.StringIO())

    assert set(selectors.practice_customers().values_list("pk", flat=True)) == old_practice
    call_command("reset_training", "--force", stdout=io.StringIO())
    assert not set(selectors.practice_customers().values_list("pk", flat=True)) & old_practice
    assert get_user_model().objects.filter(username="trainee1").count() == 1
