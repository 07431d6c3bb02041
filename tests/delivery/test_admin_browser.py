import pytest
from django.contrib.auth.models import Group

from tests.delivery.factories import CustomerFactory, UserFactory
from tests.servers import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_office_clerk_works_in_chinese_in_a_real_browser(asgi_server, browser_context):
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.groups.add(Group.objects.get(name="office"))
    CustomerFactory(short_name="阿美小吃店", code="C000042")
    page = browser_context.new_page()

    page.goto(f"{asgi_server}/admin/login/?next=/admin/delivery/customer/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#result_list")

    assert "客戶" in page.title()
    assert page.locator("#result_list").get_by_text("阿美小吃店").is_visible()
    save_screenshot(page, "admin-customer-list")
