"""The office's SMS admin screens."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sms import services
from sms.demo import seed_demo_data
from sms.models import AllowlistEntry, Message, MessageStatus, OptOut, Template
from tests.sms.helpers import enqueue_and_dispatch, taipei

pytestmark = pytest.mark.django_db
NOW = taipei(2026, 11, 25, 10, 0)


def test_message_list_masks_phones_and_never_shows_bodies(client, office_clerk, sms_rig, customer):
    enqueue_and_dispatch(now=NOW, idempotency_key="adm:1", customer=customer, body="秘密內容")
    client.force_login(office_clerk)

    response = client.get(reverse("admin:sms_message_changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "0912***678" in html
    assert "0912345678" not in html
    assert "912345678" not in html
    assert "秘密內容" not in html


def test_message_page_shows_its_whole_history(client, office_clerk, sms_rig, customer):
    message, _result = enqueue_and_dispatch(now=NOW, idempotency_key="adm:2", customer=customer, body="hi")
    client.force_login(office_clerk)

    response = client.get(reverse("admin:sms_message_change", args=[message.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert message.provider_message_id in html
    assert "Submitted" in html or "已送出" in html


def test_dead_letter_resend_via_another_provider(client, office_clerk, sms_rig, customer):
    sms_rig["mitake"].script.extend(["code:v"])
    dead, _result = enqueue_and_dispatch(now=NOW, idempotency_key="adm:3", customer=customer, body="hi")
    assert dead.status == MessageStatus.FAILED
    client.force_login(office_clerk)
    listing = client.get(reverse("admin:sms_deadletter_changelist"))
    assert listing.status_code == 200
    assert f">{dead.pk}<" in listing.content.decode()

    response = client.post(
        reverse("admin:sms_deadletter_changelist"),
        {"action": "resend_via_every8d", "_selected_action": [dead.pk]},
    )

    assert response.status_code == 302
    copy = Message.objects.get(resend_of=dead)
    assert services.message_dispatch(message_id=copy.pk, now=copy.not_before) == "accepted"
    copy.refresh_from_db()
    assert copy.provider == "every8d"
    assert sms_rig["every8d"].handset_count("0912345678") == 1


def test_two_resends_in_a_row_give_one_copy_and_the_second_is_refused_naming_the_status(
    client, office_clerk, sms_rig, customer
):
    # given: a dead message, resent once
    sms_rig["mitake"].script.extend(["code:v"])
    dead, _result = enqueue_and_dispatch(now=NOW, idempotency_key="adm:4", customer=customer, body="hi")
    client.force_login(office_clerk)
    url = reverse("admin:sms_message_resend", args=[dead.pk, "every8d"])
    assert client.post(url).status_code == 302

    # when: a double click (or a second operator with the page still open) resends it again
    response = client.post(url, follow=True)

    # then: still one copy, and the office is told why
    assert Message.objects.filter(resend_of=dead).count() == 1
    shown = [str(item) for item in response.context["messages"]]
    assert any("already resent" in text or "已重送" in text for text in shown), shown
    with pytest.raises(ValidationError) as refused:
        services.message_resend(message=dead, provider="every8d")
    assert "status" in refused.value.message_dict
    assert Message.objects.filter(resend_of=dead).count() == 1


def test_a_message_whose_copy_failed_can_be_resent_again(sms_rig, customer):
    sms_rig["mitake"].script.extend(["code:v"])
    dead, _result = enqueue_and_dispatch(now=NOW, idempotency_key="adm:5", customer=customer, body="hi")
    first = services.message_resend(message=dead, provider="every8d")
    Message.objects.filter(pk=first.pk).update(status=MessageStatus.FAILED)

    second = services.message_resend(message=dead, provider="twilio")

    assert second.pk != first.pk
    assert second.idempotency_key == f"resend:{dead.pk}:2"
    assert Message.objects.filter(resend_of=dead).count() == 2


def test_template_editor_has_the_live_counter_and_refuses_bad_bodies(client, admin_user, sms_rig):
    seed_demo_data(password="x", stdout=io.StringIO())
    AllowlistEntry.objects.get_or_create(kind="link", value="https://luckygas.tw/")
    template = Template.objects.get(name="winter_promotion")
    client.force_login(admin_user)
    url = reverse("admin:sms_template_change", args=[template.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert "sms/segment_counter." in page.content.decode()
    assert 'id="sms-counter-config"' in page.content.decode()

    variant = template.variants.get()
    form = {
        "name": template.name,
        "description": template.description,
        "priority": "marketing",
        "is_active": "on",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "1",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-id": str(variant.pk),
        "variants-0-template": str(template.pk),
        "variants-0-label": "A",
        "variants-0-body": "優惠 https://bit.ly/zzz {customer_name}",
        "variants-0-weight": "1",
        "variants-0-is_active": "on",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "https://bit.ly/zzz" in refused.content.decode()

    form["variants-0-body"] = "優惠 {unknown_field}"
    refused = client.post(url, form)
    assert "unknown_field" in refused.content.decode()
    variant.refresh_from_db()
    assert variant.body == "冬季換桶享9折，詳情{link}"


def test_opt_out_added_in_admin_is_normalized(client, office_clerk, sms_rig):
    client.force_login(office_clerk)

    response = client.post(reverse("admin:sms_optout_add"), {"phone": "0912-345-678", "source": "admin", "note": ""})

    assert response.status_code == 302
    assert OptOut.objects.get().phone == "+886912345678"
    listing = client.get(reverse("admin:sms_optout_changelist")).content.decode()
    assert "0912***678" in listing
    assert "0912345678" not in listing


def test_provider_list_shows_today_stats_and_low_balance(client, manager, sms_rig, providers):
    providers["mitake"].balance = 10
    providers["mitake"].save()
    client.force_login(manager)

    response = client.get(reverse("admin:sms_provider_changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="sms-provider-stats"' in html
    assert "10" in html
