"""The Taiwan Clearing House (TWNCH) ACH media format: ACHP01, ACHR01 and ACHP02.

One declarative field table per record type drives both the writer and the parser, so the two
can never disagree. Numeric `9(n)` fields are right-aligned and zero-filled, text `X(n)` fields
left-aligned and space-filled, dates are ROC dates in 8 digits, amounts whole NT$. Every line is
checked for its byte length, the trailer's count and sum must equal the details, and a parsed
file written back is byte-identical (values keep their raw form; blank numeric fields stay blank).
See /work/shared/reference/ach-twnch.md for the sources of this layout.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from luckygas.delivery.validators import is_valid_national_id, is_valid_tax_id

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


class CodecError(ValueError):
    """A value or a line that does not fit the format; names the line (1-based) and the field."""

    def __init__(self, message: str, *, field: str = "", line: int | None = None, record: str = "") -> None:
        self.message = message
        self.field = field
        self.line = line
        self.record = record
        where = []
        if line is not None:
            where.append(f"line {line}")
        if record:
            where.append(record)
        if field:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


@dataclass(frozen=True)
class Field:
    """One fixed-width field. `kind` is "9" (numeric) or "X" (text); `start` is 1-based."""

    name: str
    start: int
    length: int
    kind: str
    label: str
    constant: str | None = None
    default: str | int | None = None
    blank_allowed: bool = False

    @property
    def end(self) -> int:
        return self.start - 1 + self.length


@dataclass(frozen=True)
class RecordSpec:
    name: str
    length: int
    fields: tuple[Field, ...]
    by_name: dict[str, Field] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        position = 1
        for item in self.fields:
            if item.start != position:
                raise AssertionError(f"{self.name}.{item.name} starts at {item.start}, expected {position}")
            position += item.length
        if position - 1 != self.length:
            raise AssertionError(f"{self.name} fields add up to {position - 1} bytes, not {self.length}")
        object.__setattr__(self, "by_name", {item.name: item for item in self.fields})


def _table(name: str, length: int, rows: Sequence[tuple[Any, ...]]) -> RecordSpec:
    fields, start = [], 1
    for row in rows:
        field_name, size, kind, label, *rest = row
        options = rest[0] if rest else {}
        fields.append(Field(field_name, start, size, kind, label, **options))
        start += size
    return RecordSpec(name, length, tuple(fields))


# --- ACHP01 / ACHR01 (250 bytes) ---------------------------------------------------------
P01_HEADER = _table(
    "header",
    250,
    [
        ("bof", 3, "X", "首錄別", {"constant": "BOF"}),
        ("cdata", 6, "X", "資料代號"),
        ("tdate", 8, "9", "處理日期"),
        ("ttime", 6, "9", "處理時間"),
        ("sorg", 7, "9", "發送單位代號"),
        ("rorg", 7, "9", "接收單位代號", {"default": RECEIVING_UNIT}),
        ("verno", 3, "X", "版次", {"default": VERSION}),
        ("filler", 210, "X", "備用", {"default": ""}),
    ],
)
P01_DETAIL = _table(
    "detail",
    250,
    [
        ("type", 1, "X", "交易型態"),
        ("txtype", 2, "X", "交易類別"),
        ("txid", 3, "9", "交易代號"),
        ("seq", 8, "9", "交易序號"),
        ("pbank", 7, "9", "提出行代號"),
        ("pclno", 16, "9", "發動者帳號"),
        ("rbank", 7, "9", "提回行代號"),
        ("rclno", 16, "9", "收受者帳號"),
        ("amt", 10, "9", "金額"),
        ("rcode", 2, "9", "退件理由代號", {"default": None, "blank_allowed": True}),
        ("schd", 1, "X", "提示交換次序", {"default": "B"}),
        ("cid", 10, "X", "發動者統一編號"),
        ("pid", 10, "X", "收受者統一編號"),
        ("sid", 6, "X", "上市上櫃公司代號", {"default": ""}),
        ("pdate", 8, "9", "原提示交易日期", {"default": None, "blank_allowed": True}),
        ("pseq", 8, "9", "原提示交易序號", {"default": None, "blank_allowed": True}),
        ("pschd", 1, "X", "原提示交換次序", {"default": ""}),
        ("cno", 20, "X", "用戶號碼"),
        ("note", 40, "X", "發動者專用區", {"default": ""}),
        ("memo", 10, "X", "存摺摘要", {"default": ""}),
        ("cfee", 5, "9", "客戶支付手續費", {"default": 0}),
        ("noteb", 20, "X", "發動行專用區", {"default": ""}),
        ("filler", 39, "X", "備用", {"default": ""}),
    ],
)
P01_TRAILER = _table(
    "trailer",
    250,
    [
        ("eof", 3, "X", "尾錄別", {"constant": "EOF"}),
        ("cdata", 6, "X", "資料代號"),
        ("tdate", 8, "9", "處理日期"),
        ("sorg", 7, "9", "發送單位代號"),
        ("rorg", 7, "9", "接收單位代號", {"default": RECEIVING_UNIT}),
        ("tcount", 8, "9", "總筆數"),
        ("tamt", 16, "9", "總金額"),
        ("ydate", 8, "9", "前一營業日", {"default": None, "blank_allowed": True}),
        ("filler", 187, "X", "備用", {"default": ""}),
    ],
)

# --- ACHP02 mandates (220 bytes) ---------------------------------------------------------
P02_HEADER = _table(
    "header",
    220,
    [
        ("bof", 3, "X", "首錄別", {"constant": "BOF"}),
        ("cdata", 6, "X", "資料代號", {"constant": ACHP02}),
        ("tdate", 8, "9", "處理日期"),
        ("sorg", 7, "9", "發送單位代號"),
        ("verno", 3, "X", "版次", {"default": VERSION}),
        ("filler", 193, "X", "備用", {"default": ""}),
    ],
)
P02_DETAIL = _table(
    "detail",
    220,
    [
        ("seq", 6, "9", "交易序號"),
        ("txid", 3, "9", "交易代號"),
        ("cid", 10, "X", "發動者統一編號"),
        ("rbank", 7, "9", "委繳戶往來行"),
        ("rclno", 16, "9", "委繳戶帳號"),
        ("pid", 10, "X", "委繳戶統一編號"),
        ("cno", 20, "X", "用戶號碼"),
        ("admark", 1, "X", "新增或取消"),
        ("date", 8, "9", "日期"),
        ("pbank", 7, "9", "提出行代號"),
        ("note", 40, "X", "發動者專用區", {"default": ""}),
        ("type", 1, "X", "交易型態", {"default": "N"}),
        ("reply", 1, "X", "回覆訊息", {"default": ""}),
        ("limit", 8, "9", "扣款限額", {"default": None, "blank_allowed": True}),
        ("cntype", 1, "X", "授權類別", {"default": ""}),
        ("enddate", 8, "9", "扣款終止日", {"default": None, "blank_allowed": True}),
        ("noteb", 20, "X", "發動行專用區", {"default": ""}),
        ("filler", 53, "X", "備用", {"default": ""}),
    ],
)
P02_TRAILER = _table(
    "trailer",
    220,
    [
        ("eof", 3, "X", "尾錄別", {"constant": "EOF"}),
        ("tcount", 8, "9", "總筆數"),
        ("filler", 209, "X", "備用", {"default": ""}),
    ],
)

LAYOUTS: dict[str, tuple[RecordSpec, RecordSpec, RecordSpec]] = {
    ACHP01: (P01_HEADER, P01_DETAIL, P01_TRAILER),
    ACHR01: (P01_HEADER, P01_DETAIL, P01_TRAILER),
    ACHP02: (P02_HEADER, P02_DETAIL, P02_TRAILER),
}


# --- ROC dates and identifiers -----------------------------------------------------------
def roc_date(value: datetime.date) -> str:
    """2026-08-04 → '01150804' (ROC year zero-padded to 4 digits)."""
    if value.year <= 1911:
        raise CodecError(f"{value.isoformat()} is before the ROC calendar")
    return f"{value.year - 1911:04d}{value.month:02d}{value.day:02d}"


def parse_roc_date(text: str) -> datetime.date:
    if len(text) != 8 or not text.isdigit():
        raise CodecError(f"{text!r} is not an 8-digit ROC date")
    try:
        return datetime.date(int(text[:4]) + 1911, int(text[4:6]), int(text[6:]))
    except ValueError as error:
        raise CodecError(f"{text!r} is not a valid ROC date") from error


def is_valid_customer_id(value: str) -> bool:
    """A company tax ID (8 digits, 統一編號) or a national ID (letter + 9 digits), checksums included."""
    return is_valid_tax_id(value) if len(value) == 8 else is_valid_national_id(value)


# --- Encoding of one record --------------------------------------------------------------
def _encode_field(spec: RecordSpec, item: Field, value: Any, wide_fields: frozenset[str]) -> bytes:
    name = f"{spec.name}.{item.name}"
    if item.constant is not None and value is None:
        value = item.constant
    if item.kind == "9":
        if value is None or value == "":
            if item.blank_allowed:
                return b" " * item.length
            raise CodecError("is required", field=name, record=spec.name)
        if isinstance(value, bool):
            raise CodecError(f"{value!r} is not a whole number", field=name)
        if isinstance(value, float | Decimal):
            if value != int(value):
                raise CodecError(f"{value} has a fraction; amounts are whole NT$ (no cents)", field=name)
            value = int(value)
        if isinstance(value, str):
            if not value.isascii() or not value.isdigit():
                raise CodecError(f"{value!r} is not a whole number (digits only, no cents)", field=name)
            text = value.zfill(item.length)
        elif isinstance(value, int):
            if value < 0:
                raise CodecError(f"{value} is negative", field=name)
            text = f"{value:0{item.length}d}"
        else:
            raise CodecError(f"{value!r} is not a number", field=name)
        if len(text) > item.length:
            raise CodecError(f"{value!r} is longer than {item.length} digits", field=name)
        return text.encode("ascii")
    text = "" if value is None else str(value)
    encoding = "cp950" if item.name in wide_fields else "ascii"
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError as error:
        what = "ASCII" if encoding == "ascii" else "CP950 (Big5)"
        raise CodecError(f"{text!r} contains characters outside {what}", field=name) from error
    if any(byte < 0x20 or byte == 0x7F for byte in raw):
        raise CodecError(f"{text!r} contains control characters", field=name)
    if len(raw) > item.length:
        raise CodecError(f"{text!r} is {len(raw)} bytes, longer than {item.length}", field=name)
    return raw + b" " * (item.length - len(raw))


def encode_record(spec: RecordSpec, values: Mapping[str, Any], *, wide_fields: frozenset[str] = frozenset()) -> bytes:
    parts = []
    for item in spec.fields:
        value = values.get(item.name, item.default)
        if item.constant is not None and value not in (None, item.constant):
            raise CodecError(f"must be {item.constant!r}, not {value!r}", field=f"{spec.name}.{item.name}")
        parts.append(_encode_field(spec, item, value, wide_fields))
    line = b"".join(parts)
    if len(line) != spec.length:  # a guard on the table itself; cannot happen with checked fields
        raise CodecError(f"record is {len(line)} bytes, not {spec.length}", record=spec.name)
    return line


def decode_record(
    spec: RecordSpec, line: bytes, *, line_number: int | None = None, wide_fields: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Split a record into values: numeric fields become int (None when blank), text is right-stripped."""
    if len(line) != spec.length:
        raise CodecError(f"is {len(line)} bytes, expected {spec.length}", line=line_number, record=spec.name)
    values: dict[str, Any] = {}
    for item in spec.fields:
        raw = line[item.start - 1 : item.end]
        name = f"{spec.name}.{item.name}"
        if item.kind == "9":
            if raw.strip(b" ") == b"" and item.blank_allowed:
                values[item.name] = None
                continue
            if not raw.isdigit():
                raise CodecError(f"{raw.decode('latin-1')!r} is not numeric", line=line_number, field=name)
            values[item.name] = int(raw)
        else:
            encoding = "cp950" if item.name in wide_fields else "ascii"
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as error:
                raise CodecError(f"is not valid {encoding}", line=line_number, field=name) from error
            values[item.name] = text.rstrip(" ")
            if item.constant is not None and values[item.name] != item.constant:
                raise CodecError(f"must be {item.constant!r}", line=line_number, field=name)
    return values


# --- Whole files -------------------------------------------------------------------------
@dataclass
class AchFile:
    kind: str
    header: dict[str, Any]
    details: list[dict[str, Any]]
    trailer: dict[str, Any]

    @property
    def total_amount(self) -> int:
        return sum(detail.get("amt") or 0 for detail in self.details)


@dataclass
class ParseResult:
    file: AchFile | None
    errors: list[CodecError]

    @property
    def is_valid(self) -> bool:
        return not self.errors


def write_file(ach_file: AchFile, *, wide_fields: frozenset[str] = frozenset()) -> bytes:
    """Encode a whole file; refuses a trailer whose count or sum disagrees with the details."""
    header_spec, detail_spec, trailer_spec = LAYOUTS[ach_file.kind]
    check_totals(ach_file)
    lines = [encode_record(header_spec, ach_file.header, wide_fields=wide_fields)]
    for index, detail in enumerate(ach_file.details, start=2):
        try:
            lines.append(encode_record(detail_spec, detail, wide_fields=wide_fields))
        except CodecError as error:
            error.line = index
            raise CodecError(error.message, field=error.field, line=index) from error
    lines.append(encode_record(trailer_spec, ach_file.trailer, wide_fields=wide_fields))
    return CRLF.join(lines) + CRLF


def check_totals(ach_file: AchFile) -> None:
    count = ach_file.trailer.get("tcount")
    if count != len(ach_file.details):
        raise CodecError(
            f"trailer count {count} does not equal the {len(ach_file.details)} detail records", field="trailer.tcount"
        )
    if ach_file.kind in (ACHP01, ACHR01):
        total = ach_file.trailer.get("tamt")
        if total != ach_file.total_amount:
            raise CodecError(
                f"trailer total {total} does not equal the details' sum {ach_file.total_amount}",
                field="trailer.tamt",
            )


def parse_file(data: bytes, *, wide_fields: frozenset[str] = frozenset()) -> ParseResult:
    """Parse a whole file, collecting every error with its line and field instead of stopping at the first."""
    errors: list[CodecError] = []
    if not data.endswith(CRLF):
        errors.append(CodecError("the file does not end in CRLF"))
    raw_lines = data.split(CRLF)
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    if len(raw_lines) < 2:
        return ParseResult(None, [*errors, CodecError("a file needs a BOF header and an EOF trailer")])
    first = raw_lines[0]
    kind = first[3:9].decode("latin-1")
    if not first.startswith(b"BOF") or kind not in LAYOUTS:
        return ParseResult(None, [*errors, CodecError(f"unknown header {first[:9]!r}", line=1, field="header.cdata")])
    header_spec, detail_spec, trailer_spec = LAYOUTS[kind]
    for number, line in enumerate(raw_lines, start=1):
        if b"\n" in line or b"\r" in line:
            errors.append(CodecError("contains a bare CR or LF; records end in CRLF", line=number))

    def decode(spec: RecordSpec, line: bytes, number: int) -> dict[str, Any]:
        try:
            return decode_record(spec, line, line_number=number, wide_fields=wide_fields)
        except CodecError as error:
            errors.append(error)
            return {}

    header = decode(header_spec, first, 1)
    details = [decode(detail_spec, line, number) for number, line in enumerate(raw_lines[1:-1], start=2)]
    trailer_line = raw_lines[-1]
    if not trailer_line.startswith(b"EOF"):
        errors.append(CodecError("the last record is not an EOF trailer", line=len(raw_lines), record="trailer"))
        trailer: dict[str, Any] = {}
    else:
        trailer = decode(trailer_spec, trailer_line, len(raw_lines))
    ach_file = AchFile(kind=kind, header=header, details=details, trailer=trailer)
    if kind != ACHP02 and trailer and trailer.get("cdata") != kind:
        errors.append(CodecError(f"says {trailer.get('cdata')!r}, header says {kind!r}", field="trailer.cdata"))
    if trailer and all(details):
        try:
            check_totals(ach_file)
        except CodecError as error:
            error.line = len(raw_lines)
            errors.append(CodecError(error.message, field=error.field, line=len(raw_lines)))
    if kind in (ACHP01, ACHR01):
        expected_type = "N" if kind == ACHP01 else "R"
        for number, detail in enumerate(details, start=2):
            if detail and detail.get("type") != expected_type:
                errors.append(CodecError(f"must be {expected_type!r} in {kind}", line=number, field="detail.type"))
            if detail and detail.get("txtype") == "SD" and not detail.get("cno"):
                errors.append(CodecError("is required for collections (SD)", line=number, field="detail.cno"))
    return ParseResult(ach_file, errors)


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
