"""Admin import and export are held to the model's own add/change/view permissions (#13 item 3)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from luckygas.delivery.models import Customer, Order
from tests.delivery.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

CUSTOMER_CSV = (
    "code,customer_type,short_name,phone,city,district,address,payment_method,tax_id\n"
    "C900001,household,王大明,0912-345-678,臺北市,大安區,忠孝東路四段1號,cash,\n"
)
ORDER_CSV = "customer_code,delivery_date,slot,product_code,quantity\nC000777,2026-12-01,morning,LPG-20,2\n"


def _upload(name: str, text: str) -> dict:
    return {"import_file": SimpleUploadedFile(name, text.encode(), content_type="text/csv"), "format": "0"}


def _process_import_form(response) -> dict:
    form = response.context["confirm_form"]
    return {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}


@pytest.mark.parametrize("url", ["/admin/delivery/customer/import/", "/admin/delivery/order/import/"])
def test_manager_is_refused_the_import_page(client, manager, url):
    client.force_login(manager)

    assert client.get(url).status_code == 403


def test_manager_customer_upload_is_refused_and_saves_nothing(client, manager):
    client.force_login(manager)

    response = client.post("/admin/delivery/customer/import/", _upload("customers.csv", CUSTOMER_CSV))

    assert response.status_code == 403
    assert not Customer.objects.filter(code="C900001").exists()


def test_manager_order_upload_is_refused_and_saves_nothing(client, manager):
    CustomerFactory(code="C000777")
    ProductFactory()
    client.force_login(manager)

    response = client.post("/admin/delivery/order/import/", _upload("orders.csv", ORDER_CSV))

    assert response.status_code == 403
    assert not Order.objects.exists()


def test_manager_cannot_confirm_an_import_prepared_by_a_clerk(client, office_clerk, manager):
    # given: a clerk's dry run produced a confirm form (the process_import step's fields)
    client.force_login(office_clerk)
    dry_run = client.post("/admin/delivery/customer/import/", _upload("customers.csv", CUSTOMER_CSV))
    confirm = _process_import_form(dry_run)
    client.logout()

    # when: a manager posts that confirmation
    client.force_login(manager)
    response = client.post("/admin/delivery/customer/process_import/", confirm)

    # then
    assert response.status_code == 403
    assert not Customer.objects.filter(code="C900001").exists()


def test_office_clerk_imports_customers(client, office_clerk):
    client.force_login(office_clerk)
    dry_run = client.post("/admin/delivery/customer/import/", _upload("customers.csv", CUSTOMER_CSV))

    response = client.post("/admin/delivery/customer/process_import/", _process_import_form(dry_run))

    assert response.status_code == 302
    assert Customer.objects.get(code="C900001").phone == "+886912345678"


@pytest.mark.parametrize("url", ["/admin/delivery/customer/export/", "/admin/delivery/order/export/"])
def test_manager_with_view_permission_may_export(client, manager, url):
    client.force_login(manager)

    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/admin/delivery/customer/export/", "/admin/delivery/order/export/"])
def test_driver_is_refused_export(client, driver_a, url):
    driver_a.user.is_staff = True
    driver_a.user.save(update_fields=["is_staff"])
    client.force_login(driver_a.user)

    assert client.get(url).status_code == 403


def test_the_import_screens_speak_traditional_chinese_to_the_office(client, office_clerk):
    """django-import-export has no Traditional Chinese of its own: our catalog gives its screens theirs."""
    client.force_login(office_clerk)
    page = client.get("/admin/delivery/customer/import/").content.decode()
    assert "要匯入的檔案" in page
    assert "格式" in page
    assert "送出" in page
    assert "File to import" not in page
    assert "Submit" not in page
    bad = "code,customer_type,short_name,phone\nC900002,household,林小姐,12345\n"
    preview = client.post("/admin/delivery/customer/import/", _upload("customers.csv", bad)).content.decode()
    assert "有些列的資料不正確" in preview
    assert "請在檔案中修正這些錯誤" in preview
    assert "請輸入有效的臺灣電話號碼" in preview  # the row error names the field (phone)
    assert not Customer.objects.filter(code="C900002").exists()
