"""Segments, rendering, variants and body encryption."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.test import override_settings

from luckygas.configuration import read_again
from sms import crypto, rendering
from sms.segments import GSM7, UCS2, count_segments


@pytest.mark.parametrize(
    ("body", "encoding", "characters", "segments"),
    [
        ("", GSM7, 0, 0),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),
        ("a" * 307, GSM7, 307, 3),
        ("{" * 80, GSM7, 160, 1),  # extension characters take two septets
        ("a" * 159 + "€", GSM7, 161, 2),
        ("瓦" * 70, UCS2, 70, 1),
        ("瓦" * 71, UCS2, 71, 2),
        ("瓦" * 134, UCS2, 134, 2),
        ("瓦" * 135, UCS2, 135, 3),
        ("a" * 100 + "。", UCS2, 101, 2),  # one Chinese punctuation mark switches the whole message
        ("🔥" * 35, UCS2, 70, 1),  # an emoji is two UTF-16 units
    ],
)
def test_segments_follow_gsm7_and_ucs2_rules(body, encoding, characters, segments):
    count = count_segments(body)

    assert (count.encoding, count.characters, count.segments) == (encoding, characters, segments)


def test_rendering_refuses_unknown_and_missing_placeholders():
    with pytest.raises(ValidationError) as unknown:
        rendering.render("您好 {customer_name} {secret}", {"customer_name": "王"})
    assert "secret" in unknown.value.message_dict["body"][0]

    with pytest.raises(ValidationError) as missing:
        rendering.render("訂單 {order_number}", {})
    assert "order_number" in missing.value.message_dict["context"][0]

    assert rendering.render("訂單 {order_number}", {"order_number": "#42"}) == "訂單 #42"


def test_a_recipient_always_gets_the_same_weighted_variant():
    variants, weights = ["A", "B"], [1, 3]
    picks = [rendering.choose_variant(variants, weights, recipient_key=f"C{n}", template_name="t") for n in range(2000)]

    assert {rendering.choose_variant(variants, weights, recipient_key="C7", template_name="t") for _ in range(20)} == {
        picks[7]
    }
    assert 0.70 < picks.count("B") / len(picks) < 0.80


def test_bodies_are_encrypted_and_old_keys_still_decrypt_after_rotation(settings):
    old_key = Fernet.generate_key().decode()
    settings.SMS_BODY_KEYS = old_key
    token = crypto.encrypt_body("您的瓦斯已送達")
    assert "瓦斯" not in token

    new_key = Fernet.generate_key().decode()
    settings.SMS_BODY_KEYS = f"{new_key},{old_key}"
    assert crypto.decrypt_body(token) == "您的瓦斯已送達"
    rotated = crypto.rotate_body(token)
    settings.SMS_BODY_KEYS = new_key
    assert crypto.decrypt_body(rotated) == "您的瓦斯已送達"


@override_settings(DEBUG=False)
def test_production_without_a_body_key_refuses_to_send(settings):
    settings.SMS_BODY_KEYS = ""

    with pytest.raises(crypto.BodyKeyMissingError, match="SMS_BODY_KEYS"):
        crypto.check_keys()


def test_a_body_key_can_come_from_a_file(monkeypatch, settings, tmp_path):
    key = Fernet.generate_key().decode()
    path = tmp_path / "sms-key"
    path.write_text(key + "\n")
    monkeypatch.delenv("SMS_BODY_KEYS", raising=False)
    monkeypatch.setenv("SMS_BODY_KEYS_FILE", str(path))
    # as luckygas/settings.py reads it at start
    settings.SMS_BODY_KEYS = read_again("SMS_BODY_KEYS")["SMS_BODY_KEYS"]
    assert key == settings.SMS_BODY_KEYS

    assert crypto.decrypt_body(crypto.encrypt_body("hi")) == "hi"


def test_unregistered_links_and_numbers_are_found():
    found = rendering.unregistered_links_and_numbers(
        "看 https://luckygas.tw/a 或 bit.ly/x 或撥 0800-123-456 或 02-2345-6789",
        links=["https://luckygas.tw/"],
        phones=["0800123456"],
    )

    assert found == ["bit.ly/x", "0223456789"]
