import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile

from luckygas.delivery.models import Customer, Order
from luckygas.delivery.resources import CustomerResource, OrderResource
from tests.delivery.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

CUSTOMER_HEADER = "code,customer_type,short_name,phone,city,district,address,payment_method,tax_id\n"
GOOD_ROW = "C900001,household,王大明,0912-345-678,臺北市,大安區,忠孝東路四段1號,cash,\n"
BAD_PHONE_ROW = "C900002,restaurant,阿美小吃店,12345,臺北市,信義區,信義路五段7號,cash,04595257\n"
BAD_TAX_ID_ROW = "C900003,commercial,好運企業社,02-2345-6789,新北市,板橋區,文化路一段2號,cash,12345678\n"


def _dataset(text: str) -> tablib.Dataset:
    return tablib.Dataset().load(text, format="csv")


def test_customer_import_stores_phone_as_e164():
    result = CustomerResource().import_data(_dataset(CUSTOMER_HEADER + GOOD_ROW), dry_run=False)

    assert not result.has_validation_errors()
    assert Customer.objects.get(code="C900001").phone == "+886912345678"


def test_customer_import_with_bad_rows_imports_nothing_and_names_row_and_field():
    data = _dataset(CUSTOMER_HEADER + GOOD_ROW + BAD_PHONE_ROW + BAD_TAX_ID_ROW)

    result = CustomerResource().import_data(data, dry_run=False)

    assert result.has_validation_errors()
    invalid = {row.number: set(row.error_dict) for row in result.invalid_rows}
    assert invalid == {2: {"phone"}, 3: {"tax_id"}}
    assert not Customer.objects.filter(code__startswith="C9").exists()


def test_order_import_with_bad_row_imports_nothing():
    CustomerFactory(code="C000777")
    ProductFactory()
    data = _dataset(
        "customer_code,delivery_date,slot,product_code,quantity\n"
        "C000777,2026-12-01,morning,LPG-20,2\n"
        "C000777,2026-12-02,morning,LPG-99,1\n"
    )

    result = OrderResource().import_data(data, dry_run=False)

    assert {row.number: set(row.error_dict) for row in result.invalid_rows} == {2: {"product_code"}}
    assert not Order.objects.exists()


def test_order_import_creates_a_pending_order_with_its_line():
    CustomerFactory(code="C000777")
    ProductFactory()
    data = _dataset("customer_code,delivery_date,slot,product_code,quantity\nC000777,2026-12-01,morning,LPG-20,2\n")

    result = OrderResource().import_data(data, dry_run=False)

    assert not result.has_validation_errors()
    assert not result.has_errors()
    order = Order.objects.get()
    assert (order.status, order.total_amount, order.lines.get().quantity) == ("pending", 1900, 2)


def test_admin_import_shows_each_bad_row_and_imports_nothing(client, admin_user):
    client.force_login(admin_user)
    upload = SimpleUploadedFile(
        "customers.csv", (CUSTOMER_HEADER + GOOD_ROW + BAD_PHONE_ROW).encode(), content_type="text/csv"
    )

    response = client.post(
        "/admin/delivery/customer/import/",
        {"import_file": upload, "format": "0", "resource": "0"},
    )

    assert response.status_code == 200
    result = response.context["result"]
    assert [(row.number, set(row.error_dict)) for row in result.invalid_rows] == [(2, {"phone"})]
    assert "請輸入有效的臺灣電話號碼。" in response.content.decode()
    assert "confirm_form" not in response.context
    assert not Customer.objects.filter(code__startswith="C9").exists()
