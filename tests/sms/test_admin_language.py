"""Admin labels are translated when shown, in the language of the request, not when imported."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import translation

from sms.models import Message

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hant", "透過 三竹簡訊 重送"),
        ("en", "Resend via Mitake"),
    ],
)
def test_the_resend_action_label_follows_the_active_language(admin_user, language, expected):
    # given: the message admin, imported once for every language
    request = RequestFactory().get("/admin/sms/message/")
    request.user = admin_user
    model_admin = admin.site._registry[Message]

    # when
    with translation.override(language):
        labels = dict(model_admin.get_action_choices(request))

    # then
    assert labels["resend_via_mitake"] == expected
