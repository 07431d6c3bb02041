"""The TWNCH code tables: file kinds, return reason codes (RCODE) and ACHP02 mandate reply codes."""

from __future__ import annotations

CRLF = b"\r\n"
RECEIVING_UNIT = "9990250"
VERSION = "V10"
ACHP01 = "ACHP01"
ACHR01 = "ACHR01"
ACHP02 = "ACHP02"

# Return reason codes (RCODE) and whether the debit may simply be tried again next cycle.
RETURN_REASONS: dict[str, str] = {
    "01": "insufficient funds",
    "02": "not a mandated customer",
    "03": "mandate terminated",
    "04": "no such account",
    "05": "customer ID mismatch",
    "06": "no such customer number",
    "07": "customer number mismatch",
    "08": "credit card limit insufficient",
    "09": "card not activated",
    "10": "partially insufficient funds",
    "11": "over the debit limit",
    "12": "card not renewed",
    "13": "other card problem",
    "22": "account closed",
    "23": "dormant account",
    "24": "frozen account",
    "25": "court enforcement",
    "26": "flagged (watch-listed) account",
    "27": "account holder deceased",
    "28": "originator bank stopped debits",
    "91": "not processed by the clearing house",
    "99": "other",
}
RETRYABLE_RETURN_CODES = frozenset({"01", "10", "11"})

# ACHP02 mandate reply codes (medium confidence, see the reference).
MANDATE_REPLY_CODES: dict[str, str] = {
    "0": "success",
    "1": "seal mismatch",
    "2": "no such account",
    "3": "payer ID mismatch",
    "4": "already mandated",
    "5": "original transaction not found",
    "6": "electronic data does not match the form",
    "7": "account closed",
    "8": "seal unclear",
    "9": "other",
    "A": "mandate form not received",
    "B": "customer number wrong",
    "C": "dormant account",
    "D": "declaration not received",
    "E": "mandate form incomplete",
    "F": "flagged account",
    "G": "not eligible for direct debit",
    "H": "mandated at another bank",
    "I": "account holder deceased",
    "Z": "not processed",
}
