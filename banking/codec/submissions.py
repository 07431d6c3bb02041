"""Building files: our ACHP01 submission of debits, and the bank's ACHR01 returns (for tests and the simulator)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from banking.codec.codes import ACHP01, ACHR01, RECEIVING_UNIT, RETURN_REASONS
from banking.codec.files import AchFile, write_file
from banking.codec.records import CodecError, is_valid_customer_id, roc_date
from luckygas.delivery.validators import is_valid_tax_id


# --- Building a submission ---------------------------------------------------------------
@dataclass(frozen=True)
class Debit:
    """One collection item as the codec needs it (already decrypted)."""

    sequence: int
    customer_bank: str
    customer_account: str
    amount: int
    customer_id: str
    customer_number: str
    note: str
    memo: str = ""


def validate_debit(debit: Debit) -> None:
    """Refuse a debit the bank would reject, naming the field."""
    if not isinstance(debit.amount, int) or isinstance(debit.amount, bool):
        raise CodecError(f"{debit.amount!r} is not whole NT$ (no cents)", field="detail.amt")
    if debit.amount <= 0:
        raise CodecError("must be positive", field="detail.amt")
    if not (debit.customer_bank.isdigit() and len(debit.customer_bank) == 7):
        raise CodecError(f"{debit.customer_bank!r} is not a 7-digit bank+branch code", field="detail.rbank")
    if not debit.customer_account.isdigit():
        raise CodecError("must contain digits only", field="detail.rclno")
    if len(debit.customer_account) > 16:
        raise CodecError(f"is {len(debit.customer_account)} digits, longer than 16", field="detail.rclno")
    if not is_valid_customer_id(debit.customer_id):
        raise CodecError(
            f"{debit.customer_id!r} is neither a valid company tax ID nor a valid national ID", field="detail.pid"
        )
    if not debit.customer_number.strip():
        raise CodecError("the customer number (用戶號碼) is required for collections", field="detail.cno")


def build_submission(
    *,
    kind: str = ACHP01,
    processing_date: datetime.date,
    processing_time: datetime.time,
    sending_bank: str,
    originator_account: str,
    originator_tax_id: str,
    transaction_code: int,
    debits: Iterable[Debit],
    wide_fields: frozenset[str] = frozenset(),
) -> bytes:
    """Write an ACHP01 collection (SD) file for the given debits."""
    if not is_valid_tax_id(originator_tax_id):
        raise CodecError(f"{originator_tax_id!r} is not a valid company tax ID", field="detail.cid")
    tdate = roc_date(processing_date)
    details = []
    for line, debit in enumerate(debits, start=2):
        try:
            validate_debit(debit)
        except CodecError as error:
            raise CodecError(f"{error.message} (item {debit.note})", field=error.field, line=line) from error
        details.append(
            {
                "type": "N",
                "txtype": "SD",
                "txid": transaction_code,
                "seq": debit.sequence,
                "pbank": sending_bank,
                "pclno": originator_account,
                "rbank": debit.customer_bank,
                "rclno": debit.customer_account,
                "amt": debit.amount,
                "cid": originator_tax_id,
                "pid": debit.customer_id.upper(),
                "cno": debit.customer_number,
                "note": debit.note,
                "memo": debit.memo,
            }
        )
    ach_file = AchFile(
        kind=kind,
        header={"cdata": kind, "tdate": tdate, "ttime": processing_time.strftime("%H%M%S"), "sorg": sending_bank},
        details=details,
        trailer={
            "cdata": kind,
            "tdate": tdate,
            "sorg": sending_bank,
            "tcount": len(details),
            "tamt": sum(detail["amt"] for detail in details),
        },
    )
    return write_file(ach_file, wide_fields=wide_fields)


def build_returns(
    *,
    submission: AchFile,
    processing_date: datetime.date,
    previous_business_day: datetime.date,
    returned: Mapping[int, str],
) -> bytes:
    """The bank's side: an ACHR01 listing the submission's items (by sequence) that failed, with codes.

    Used by the bank simulator in tests and for re-creating a return file by hand.
    """
    tdate = roc_date(processing_date)
    details = []
    for detail in submission.details:
        code = returned.get(detail["seq"])
        if code is None:
            continue
        if code not in RETURN_REASONS:
            raise CodecError(f"{code!r} is not a return reason code", field="detail.rcode")
        details.append(
            {
                **detail,
                "type": "R",
                # On a return the originator's and the customer's bank fields are swapped.
                "pbank": detail["rbank"],
                "pclno": detail["rclno"],
                "rbank": detail["pbank"],
                "rclno": detail["pclno"],
                "rcode": int(code),
                "pdate": submission.header["tdate"],
                "pseq": detail["seq"],
                "pschd": detail.get("schd") or "B",
            }
        )
    sending = submission.header["sorg"]
    ach_file = AchFile(
        kind=ACHR01,
        header={"cdata": ACHR01, "tdate": tdate, "ttime": "000000", "sorg": RECEIVING_UNIT, "rorg": sending},
        details=details,
        trailer={
            "cdata": ACHR01,
            "tdate": tdate,
            "sorg": RECEIVING_UNIT,
            "rorg": sending,
            "tcount": len(details),
            "tamt": sum(detail["amt"] for detail in details),
            "ydate": roc_date(previous_business_day),
        },
    )
    return write_file(ach_file)


def return_code_text(value: int | None) -> str:
    return "" if value is None else f"{value:02d}"
