"""The TWNCH codec: golden files byte for byte, padding rules, ROC dates, IDs, and refusals naming the field."""

import datetime
from pathlib import Path

import pytest

from banking import codec

GOLDEN = Path(__file__).parent / "golden"
PROCESSING_DATE = datetime.date(2026, 8, 4)


def two_debits() -> list[codec.Debit]:
    return [
        codec.Debit(1, "0040037", "1234567890", 1900, "A123456789", "C0001", "LG000000000001", "LUCKYGAS"),
        codec.Debit(2, "8120012", "98765432101", 12345, "12345675", "C0002", "LG000000000002", "LUCKYGAS"),
    ]


def build(debits: list[codec.Debit]) -> bytes:
    return codec.build_submission(
        processing_date=PROCESSING_DATE,
        processing_time=datetime.time(9, 30),
        sending_bank="8220901",
        originator_account="12345678901",
        originator_tax_id="24536806",
        transaction_code=585,
        debits=debits,
    )


def test_submission_is_byte_identical_to_the_golden_file() -> None:
    assert build(two_debits()) == (GOLDEN / "achp01_two_debits.txt").read_bytes()


@pytest.mark.parametrize("name", ["achp01_two_debits.txt", "achr01_one_return.txt"])
def test_golden_file_parsed_and_written_back_is_byte_identical(name: str) -> None:
    data = (GOLDEN / name).read_bytes()
    result = codec.parse_file(data)
    assert result.errors == []
    assert codec.write_file(result.file) == data


def test_parsed_detail_values() -> None:
    result = codec.parse_file((GOLDEN / "achp01_two_debits.txt").read_bytes())
    first = result.file.details[0]
    assert first["type"] == "N"
    assert first["txid"] == 585
    assert first["rclno"] == 1234567890
    assert first["amt"] == 1900
    assert first["rcode"] is None
    assert first["pid"] == "A123456789"
    assert first["cno"] == "C0001"
    assert first["note"] == "LG000000000001"
    assert result.file.trailer["tcount"] == 2
    assert result.file.trailer["tamt"] == 14245


def test_every_line_is_250_bytes_and_ends_in_crlf() -> None:
    data = build(two_debits())
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    assert [len(line) for line in lines[:-1]] == [250, 250, 250, 250]


def test_field_tables_cover_every_byte() -> None:
    for header, detail, trailer in codec.LAYOUTS.values():
        for spec in (header, detail, trailer):
            assert sum(field.length for field in spec.fields) == spec.length


def test_numeric_fields_are_zero_filled_on_the_left_and_text_fields_space_filled_on_the_right() -> None:
    spec = codec.P01_DETAIL
    values = {
        "type": "N",
        "txtype": "SD",
        "txid": 585,
        "seq": 7,
        "pbank": "8220901",
        "pclno": 42,
        "rbank": "0040037",
        "rclno": "123",
        "amt": 5,
        "cid": "24536806",
        "pid": "A123456789",
        "cno": "X1",
    }
    line = codec.encode_record(spec, values)
    assert line[6:14] == b"00000007"  # seq 9(8)
    assert line[21:37] == b"0000000000000042"  # originator account 9(16)
    assert line[44:60] == b"0000000000000123"  # customer account 9(16)
    assert line[60:70] == b"0000000005"  # amount 9(10)
    assert line[70:72] == b"  "  # return code blank on submission
    assert line[73:83] == b"24536806  "  # company ID: 8 digits and 2 spaces
    assert line[116:136] == b"X1" + b" " * 18  # customer number X(20)
    assert line[186:191] == b"00000"  # customer fee


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2026, 8, 4), "01150804"),
        (datetime.date(2011, 1, 1), "01000101"),
        (datetime.date(1912, 12, 31), "00011231"),
    ],
)
def test_roc_dates(day: datetime.date, expected: str) -> None:
    assert codec.roc_date(day) == expected
    assert codec.parse_roc_date(expected) == day


def test_invalid_roc_date_is_refused() -> None:
    with pytest.raises(codec.CodecError, match="not a valid ROC date"):
        codec.parse_roc_date("01151332")


@pytest.mark.parametrize(
    ("value", "valid"),
    [("12345675", True), ("12345678", False), ("A123456789", True), ("A123456788", False), ("a123456789", True)],
)
def test_customer_id_checksums(value: str, valid: bool) -> None:
    assert codec.is_valid_customer_id(value.upper()) is valid


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"memo": "瓦斯費"}, "detail.memo", "outside ASCII"),
        ({"amount": 1900.5}, "detail.amt", "no cents"),
        ({"customer_account": "12345678901234567"}, "detail.rclno", "longer than 16"),
        ({"customer_number": ""}, "detail.cno", "customer number"),
        ({"customer_id": "A123456788"}, "detail.pid", "national ID"),
        ({"customer_bank": "004"}, "detail.rbank", "7-digit"),
        ({"note": "x" * 41}, "detail.note", "longer than 40"),
    ],
)
def test_bad_input_is_refused_naming_the_field(change: dict, field: str, message: str) -> None:
    debit = codec.Debit(1, "0040037", "1234567890", 1900, "A123456789", "C0001", "LG1", "LUCKYGAS")
    with pytest.raises(codec.CodecError, match=message) as raised:
        build([codec.Debit(**{**debit.__dict__, **change})])
    assert raised.value.field == field


def test_big5_memo_is_allowed_only_where_enabled_and_counted_in_bytes() -> None:
    spec = codec.P01_DETAIL
    base = {
        "type": "N",
        "txtype": "SD",
        "txid": 585,
        "seq": 1,
        "pbank": "8220901",
        "pclno": 1,
        "rbank": "0040037",
        "rclno": 1,
        "amt": 1,
        "cid": "24536806",
        "pid": "A123456789",
        "cno": "C1",
    }
    line = codec.encode_record(spec, {**base, "memo": "瓦斯費"}, wide_fields=frozenset({"memo"}))
    assert line[176:186] == "瓦斯費".encode("cp950") + b"    "
    with pytest.raises(codec.CodecError, match="longer than 10"):
        codec.encode_record(spec, {**base, "memo": "幸福瓦斯費用"}, wide_fields=frozenset({"memo"}))


def test_parser_reports_every_error_with_line_and_field() -> None:
    lines = (GOLDEN / "achp01_two_debits.txt").read_bytes().split(b"\r\n")
    lines[1] = lines[1][:60] + b"00000019X0" + lines[1][70:]  # letter in the amount
    lines[2] = lines[2][:249]  # short line
    result = codec.parse_file(b"\r\n".join(lines))
    messages = [str(error) for error in result.errors]
    assert "line 2, field detail.amt: '00000019X0' is not numeric" in messages
    assert "line 3, detail: is 249 bytes, expected 250" in messages


def test_trailer_totals_must_match_the_details() -> None:
    lines = (GOLDEN / "achp01_two_debits.txt").read_bytes().split(b"\r\n")
    lines[3] = lines[3][:39] + b"0000000000014246" + lines[3][55:]
    result = codec.parse_file(b"\r\n".join(lines))
    assert [(error.line, error.field) for error in result.errors] == [(4, "trailer.tamt")]


def test_missing_customer_number_in_a_parsed_collection_is_reported() -> None:
    lines = (GOLDEN / "achp01_two_debits.txt").read_bytes().split(b"\r\n")
    lines[1] = lines[1][:116] + b" " * 20 + lines[1][136:]
    result = codec.parse_file(b"\r\n".join(lines))
    assert [(error.line, error.field) for error in result.errors] == [(2, "detail.cno")]


def test_return_file_swaps_banks_and_fills_original_date_and_sequence() -> None:
    submission = codec.parse_file(build(two_debits())).file
    data = codec.build_returns(
        submission=submission,
        processing_date=datetime.date(2026, 8, 5),
        previous_business_day=datetime.date(2026, 8, 4),
        returned={2: "01"},
    )
    # The bank's (and our simulator's) return file is the golden ACHR01, apart from the header time.
    assert data == (GOLDEN / "achr01_one_return.txt").read_bytes()


def test_achp02_mandate_file_round_trips() -> None:
    mandate_file = codec.AchFile(
        kind=codec.ACHP02,
        header={"tdate": "01150804", "sorg": "8220901"},
        details=[
            {
                "seq": 1,
                "txid": 585,
                "cid": "24536806",
                "rbank": "0040037",
                "rclno": 1234567890,
                "pid": "A123456789",
                "cno": "C0001",
                "admark": "A",
                "date": "01150804",
                "pbank": "8220901",
                "reply": "0",
                "limit": 5000,
                "enddate": "01201231",
            }
        ],
        trailer={"tcount": 1},
    )
    data = codec.write_file(mandate_file)
    assert [len(line) for line in data.split(b"\r\n")[:-1]] == [220, 220, 220]
    parsed = codec.parse_file(data)
    assert parsed.errors == []
    assert parsed.file.details[0]["admark"] == "A"
    assert parsed.file.details[0]["limit"] == 5000
    assert codec.write_file(parsed.file) == data
