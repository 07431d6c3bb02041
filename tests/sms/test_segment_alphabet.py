"""The GSM-7 alphabet is defined once (sms/segments.py); the browser's counter gets it from the page."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from sms.models import Template
from sms.segments import GSM7_BASIC, GSM7_BASIC_CHARACTERS, GSM7_EXTENSION, GSM7_EXTENSION_CHARACTERS

pytestmark = pytest.mark.django_db


def test_the_template_editor_page_gives_the_counter_the_servers_gsm7_alphabet(admin_client):
    template = Template.objects.create(name="alphabet_check")

    page = admin_client.get(reverse("admin:sms_template_change", args=[template.pk])).content.decode()

    config = json.loads(re.search(r'id="sms-counter-config"[^>]*>(.*?)</script>', page, re.DOTALL).group(1))
    assert (config["gsm7Basic"], config["gsm7Extension"]) == (GSM7_BASIC_CHARACTERS, GSM7_EXTENSION_CHARACTERS)
    assert (frozenset(config["gsm7Basic"]), frozenset(config["gsm7Extension"])) == (GSM7_BASIC, GSM7_EXTENSION)


def test_the_counter_script_holds_no_copy_of_the_alphabet():
    script = (Path(settings.BASE_DIR) / "sms" / "static" / "sms" / "segment_counter.js").read_text(encoding="utf-8")

    assert "config.gsm7Basic" in script
    assert "config.gsm7Extension" in script
    assert "ABCDEFGHIJKLMNOPQRSTUVWXYZ" not in script
    assert "€" not in script
