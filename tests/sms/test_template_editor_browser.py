"""The template editor's live counter in a real Chromium, as office staff types."""

import pytest
from django.contrib.auth.models import Group

from sms.models import Priority, Provider, Template, TemplateVariant
from tests.delivery.factories import UserFactory
from tests.servers import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GSM_TEXT = "LuckyGas refill week: order a 20 kg cylinder by Friday and the delivery is free. Reply STOP to end!!"


@pytest.fixture
def office_desktop(chromium):
    """The office works on desktops: a wide window, Traditional Chinese, Taipei time."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-TW", timezone_id="Asia/Taipei")
    yield context
    context.close()


def test_counter_switches_to_ucs2_and_two_segments_when_one_chinese_character_is_typed(asgi_server, office_desktop):
    # given: office staff, a marketing template and Mitake (0.80 TWD per segment) first in line
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.groups.add(Group.objects.get(name="office"))
    Provider.objects.update_or_create(
        name="mitake", defaults={"priority": 1, "unit_price_centi": 80, "is_enabled": True}
    )
    template = Template.objects.create(name="refill_week", priority=Priority.MARKETING, description="Refill week")
    TemplateVariant.objects.create(template=template, label="A", body="舊內容", weight=1)
    assert len(GSM_TEXT) == 100
    page = office_desktop.new_page()
    page.goto(f"{asgi_server}/admin/login/?next=/admin/sms/template/{template.pk}/change/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    body = page.locator("textarea[name='variants-0-body']")
    counter = page.locator("textarea[name='variants-0-body'] + .sms-counter")
    counter.wait_for()

    # when: the clerk types plain GSM-7 text
    body.fill("")
    body.press_sequentially(GSM_TEXT)

    # then
    assert counter.text_content() == "100 字元 · GSM-7 · 1 則 · NT$0.80"
    assert counter.evaluate("element => element.style.color") == ""

    # when: one Chinese character is added
    body.press("End")
    body.press_sequentially("好")

    # then: the whole message is UCS-2, two segments, and the marketing warning shows
    assert counter.text_content() == "101 字元 · UCS-2 · 2 則 · NT$1.60 — 行銷簡訊應控制在一則以內"
    assert counter.evaluate("element => element.style.color") == "rgb(186, 33, 33)"
    save_screenshot(page, "sms-template-counter-ucs2")
