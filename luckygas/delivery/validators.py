"""Taiwan identifiers: phone numbers, company tax IDs (統一編號) and national IDs (身分證字號)."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_TAX_ID_WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)
_NATIONAL_ID_LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"  # A=10 … O=35, the Ministry of Interior order


def normalize_taiwan_phone(value: str, *, mobile_only: bool = False) -> str:
    """Parse a Taiwan phone number in any common form and return it as E.164 (+886…)."""
    try:
        number = phonenumbers.parse(str(value), "TW")
    except phonenumbers.NumberParseException as error:
        raise ValidationError(_("Enter a valid Taiwan phone number."), code="invalid_phone") from error
    if number.country_code != 886 or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid Taiwan phone number."), code="invalid_phone")
    if mobile_only and phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValidationError(_("Enter a Taiwan mobile number (09xx-xxx-xxx)."), code="not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_taiwan_phone(e164: str) -> str:
    """+886912345678 → 0912 345 678, the way office staff write numbers."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "TW")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def is_valid_tax_id(value: str) -> bool:
    """統一編號 checksum, including the 2023 rule (sum divisible by 5, 7th digit 7 special case)."""
    if len(value) != 8 or not value.isdigit():
        return False
    total = 0
    for digit, weight in zip(value, _TAX_ID_WEIGHTS, strict=True):
        product = int(digit) * weight
        total += product // 10 + product % 10
    if total % 5 == 0:
        return True
    return value[6] == "7" and (total + 1) % 5 == 0


def validate_tax_id(value: str) -> None:
    if value and not is_valid_tax_id(value):
        raise ValidationError(
            _("%(value)s is not a valid company tax ID (統一編號)."),
            code="invalid_tax_id",
            params={"value": value},
        )


def is_valid_national_id(value: str) -> bool:
    """身分證字號 (A123456789) and the new-style resident certificate (A800000014) checksums."""
    value = value.upper()
    if len(value) != 10 or value[0] not in _NATIONAL_ID_LETTERS or not value[1:].isdigit():
        return False
    if value[1] not in "1289":
        return False
    letter_value = _NATIONAL_ID_LETTERS.index(value[0]) + 10
    total = letter_value // 10 + (letter_value % 10) * 9
    for position, digit in enumerate(value[1:9]):
        total += int(digit) * (8 - position)
    total += int(value[9])
    return total % 10 == 0


def validate_national_id(value: str) -> None:
    if value and not is_valid_national_id(value):
        raise ValidationError(
            _("%(value)s is not a valid national ID."), code="invalid_national_id", params={"value": value}
        )
