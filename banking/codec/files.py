"""Whole files: written and parsed through the layouts, with the trailer's count and sum checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from banking.codec.codes import ACHP01, ACHP02, ACHR01, CRLF
from banking.codec.layouts import LAYOUTS
from banking.codec.records import CodecError, RecordSpec, decode_record, encode_record


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
