import pytest
from django.core.exceptions import ValidationError

from luckygas.delivery.validators import (
    format_taiwan_phone,
    is_valid_national_id,
    is_valid_tax_id,
    normalize_taiwan_phone,
)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0912-345-678", "+886912345678"),
        ("0912345678", "+886912345678"),
        ("+886 912 345 678", "+886912345678"),
        ("(02) 2345-6789", "+886223456789"),
    ],
)
def test_phone_numbers_are_stored_as_e164(raw, e164):
    assert normalize_taiwan_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "0912-345", "+1 415 555 0100", "abc"])
def test_invalid_or_foreign_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_taiwan_phone(raw)


def test_a_landline_is_not_a_mobile():
    with pytest.raises(ValidationError):
        normalize_taiwan_phone("02-2345-6789", mobile_only=True)


def test_phone_is_shown_in_national_form():
    assert format_taiwan_phone("+886912345678") == "0912 345 678"


@pytest.mark.parametrize(
    ("value", "valid"),
    [("04595257", True), ("12345678", False), ("1234567", False), ("ABCDEFGH", False), ("10458570", True)],
)
def test_tax_id_checksum(value, valid):
    assert is_valid_tax_id(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("A123456789", True),
        ("a123456789", True),
        ("A123456788", False),
        ("A323456789", False),
        ("1123456789", False),
        ("A12345678", False),
    ],
)
def test_national_id_checksum(value, valid):
    assert is_valid_national_id(value) is valid


def test_demo_phone_numbers_are_valid_taiwan_numbers():
    import random

    from luckygas.delivery import demo

    rng = random.Random(7)
    for _ in range(500):
        mobile, landline = demo.mobile_number(rng), demo.landline_number(rng)
        assert normalize_taiwan_phone(mobile, mobile_only=True) == mobile
        assert normalize_taiwan_phone(landline) == landline
