"""The engine: declarative field tables (`RecordSpec`), encoding and decoding one fixed-width record,
ROC dates and identifiers."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from luckygas.delivery.validators import is_valid_national_id, is_valid_tax_id


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
