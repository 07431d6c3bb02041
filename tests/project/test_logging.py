import io
import json
import logging

import pytest


@pytest.fixture
def log_output():
    """The real stdout handler configured by settings.LOGGING, writing into a buffer."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "stdout")
    buffer = io.StringIO()
    original = handler.setStream(buffer)
    yield buffer
    handler.setStream(original)


def test_log_filter_masks_phone_national_id_and_bank_account_in_a_real_record(log_output):
    logger = logging.getLogger("luckygas.test")

    logger.warning(
        "debit for %s failed, call %s",
        "A123456789",
        "0912-345-678",
        extra={"account": "0001234567895678", "customer": {"mobile": "+886912345678"}},
    )

    line = log_output.getvalue().strip().splitlines()[-1]
    record = json.loads(line)
    assert record["message"] == "debit for A******789 failed, call 0912***678"
    assert record["account"] == "****5678"
    assert record["customer"] == {"mobile": "0912***678"}
    assert record["level"] == "WARNING"
    for secret in ("A123456789", "0912-345-678", "0001234567895678", "912345678"):
        assert secret not in line


def test_log_filter_masks_personal_data_in_tracebacks(log_output):
    logger = logging.getLogger("luckygas.test")
    try:
        raise ValueError("bad account 12345678901234")
    except ValueError:
        logger.exception("import failed")

    output = log_output.getvalue()
    assert "12345678901234" not in output
    assert "****1234" in output
