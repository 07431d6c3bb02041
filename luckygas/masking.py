"""Masking of personal data for logs and list views.

Phone numbers keep their first four and last three digits (`0912***678`), national IDs their
letter and last three digits, bank accounts their last four digits (`****5678`).
"""

import re

# Taiwan mobile numbers in national (09xx…) or E.164 (+8869…) form, with optional separators.
_MOBILE = re.compile(r"(?<!\d)(?:\+?886[- ]?|0)9\d{2}[- ]?\d{3}[- ]?\d{3}(?!\d)")
# Landlines: +886 or 0, area code 2-8, then 6-8 digits with optional separators.
_LANDLINE = re.compile(r"(?<![\d+])(?:\+886[- ]?|0)[2-8][- ]?\d{3,4}[- ]?\d{3,4}(?!\d)")
# National ID (身分證) and resident certificate numbers: a letter, 1/2 or A-D, eight digits.
_NATIONAL_ID = re.compile(r"(?<![A-Za-z0-9])[A-Z][12ABCD89]\d{8}(?![A-Za-z0-9])")
# Bank account numbers: 10 to 16 digits (ACH pads them to 16).
_BANK_ACCOUNT = re.compile(r"(?<![\d*])\d{10,16}(?!\d)")


def mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if digits.startswith("886"):
        digits = "0" + digits[3:]
    if len(digits) < 7:
        return "***"
    return f"{digits[:4]}***{digits[-3:]}"


def mask_national_id(value: str) -> str:
    return f"{value[0]}******{value[-3:]}"


def mask_account(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return f"****{digits[-4:]}" if digits else ""


def mask_text(text: str) -> str:
    """Mask every phone number, national ID and bank account number inside free text."""
    text = _NATIONAL_ID.sub(lambda match: mask_national_id(match.group()), text)
    text = _MOBILE.sub(lambda match: mask_phone(match.group()), text)
    text = _LANDLINE.sub(lambda match: mask_phone(match.group()), text)
    return _BANK_ACCOUNT.sub(lambda match: mask_account(match.group()), text)
