"""The Taiwan Clearing House (TWNCH) ACH media format: ACHP01, ACHR01 and ACHP02.

One declarative field table per record type drives both the writer and the parser, so the two
can never disagree. Numeric `9(n)` fields are right-aligned and zero-filled, text `X(n)` fields
left-aligned and space-filled, dates are ROC dates in 8 digits, amounts whole NT$. Every line is
checked for its byte length, the trailer's count and sum must equal the details, and a parsed
file written back is byte-identical (values keep their raw form; blank numeric fields stay blank).
See /work/shared/reference/ach-twnch.md for the sources of this layout.
"""

from banking.codec.codes import (
    ACHP01,
    ACHP02,
    ACHR01,
    CRLF,
    MANDATE_REPLY_CODES,
    RECEIVING_UNIT,
    RETRYABLE_RETURN_CODES,
    RETURN_REASONS,
    VERSION,
)
from banking.codec.files import (
    AchFile,
    ParseResult,
    check_totals,
    parse_file,
    write_file,
)
from banking.codec.layouts import (
    LAYOUTS,
    P01_DETAIL,
    P01_HEADER,
    P01_TRAILER,
    P02_DETAIL,
    P02_HEADER,
    P02_TRAILER,
)
from banking.codec.records import (
    CodecError,
    Field,
    RecordSpec,
    decode_record,
    encode_record,
    is_valid_customer_id,
    parse_roc_date,
    roc_date,
)
from banking.codec.submissions import (
    Debit,
    build_returns,
    build_submission,
    return_code_text,
    validate_debit,
)

__all__ = [
    "ACHP01",
    "ACHP02",
    "ACHR01",
    "CRLF",
    "LAYOUTS",
    "MANDATE_REPLY_CODES",
    "P01_DETAIL",
    "P01_HEADER",
    "P01_TRAILER",
    "P02_DETAIL",
    "P02_HEADER",
    "P02_TRAILER",
    "RECEIVING_UNIT",
    "RETRYABLE_RETURN_CODES",
    "RETURN_REASONS",
    "VERSION",
    "AchFile",
    "CodecError",
    "Debit",
    "Field",
    "ParseResult",
    "RecordSpec",
    "build_returns",
    "build_submission",
    "check_totals",
    "decode_record",
    "encode_record",
    "is_valid_customer_id",
    "parse_file",
    "parse_roc_date",
    "return_code_text",
    "roc_date",
    "validate_debit",
    "write_file",
]
