"""Hostile query strings and bodies on the non-API pages: the dashboard (filters, dates, exports),
the driver PWA and the SMS providers' public callbacks.

Invariants: never a 5xx; a refused callback changes nothing.
"""

from urllib.parse import unquote

import pytest
from cryptography.fernet import Fernet
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from tests.fuzz import strategies
from tests.fuzz.conftest import FUZZ, row_counts

CALLBACK_TOKEN = "fuzz-callback-token"
TWILIO_TOKEN = "fuzz-twilio-auth-token"
DASHBOARD_PAGES = [
    "/dashboard/",
    "/dashboard/export/orders.xlsx",
    "/dashboard/export/orders.pdf",
    "/dashboard/export/reconciliation.xlsx",
    "/dashboard/export/reconciliation.pdf",
    "/dashboard/export/nothing.csv",
]
DASHBOARD_PARAMETERS = ["start", "end", "page", "sort", "status", "driver", "q", "format", "sync"]
PWA_PAGES = ["/driver/", "/driver/manifest.webmanifest", "/driver/sw.js"]
MITAKE_FIELDS = ["msgid", "statuscode", "statusstr", "StatusFlag", "donetime", "dstaddr"]
EVERY8D_FIELDS = ["BatchID", "RM", "STATUS", "ST", "MSG", "MOBILE", "REPLY"]
TWILIO_FIELDS = ["MessageSid", "MessageStatus", "SmsStatus", "ErrorCode", "From", "To", "Body", "OptOutType"]


@pytest.fixture(autouse=True)
def _callback_secrets(settings):
    settings.SMS_BODY_KEYS = Fernet.generate_key().decode()
    settings.SMS_CALLBACK_TOKEN = CALLBACK_TOKEN
    settings.SMS_TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.SMS_TWILIO_ACCOUNT_SID = "AC" + "0" * 32


@pytest.mark.parametrize("page", DASHBOARD_PAGES)
@FUZZ
@given(query=strategies.hostile_form(DASHBOARD_PARAMETERS))
def test_hostile_dashboard_filters_never_give_a_server_error(world, page, query):
    response = world.manager.get(f"{page}?{strategies.urlencoded(query).decode()}")

    assert response.status_code < 500, f"{page} {query!r:.300} answered {response.status_code}"


@pytest.mark.parametrize("page", PWA_PAGES)
@FUZZ
@given(query=strategies.hostile_form(["v", "stop", "lang"]))
def test_hostile_driver_app_requests_never_give_a_server_error(world, page, query):
    response = world.anonymous.get(f"{page}?{strategies.urlencoded(query).decode()}")

    assert response.status_code < 500


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        (f"/sms/callbacks/mitake/{CALLBACK_TOKEN}/", MITAKE_FIELDS),
        (f"/sms/callbacks/every8d/{CALLBACK_TOKEN}/", EVERY8D_FIELDS),
        ("/sms/callbacks/mitake/wrong-token/", MITAKE_FIELDS),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
@FUZZ
@given(data=st.data())
def test_hostile_sms_callbacks_never_give_a_server_error(db, path, fields, method, data):
    values = data.draw(strategies.hostile_form(fields), label="fields")
    before = row_counts()
    body = strategies.urlencoded(values)
    client = Client(raise_request_exception=False)

    if method == "GET":
        response = client.get(f"{path}?{body.decode()}")
    else:
        response = client.generic("POST", path, body, "application/x-www-form-urlencoded")

    assert response.status_code < 500, f"{method} {path} {values!r:.300} answered {response.status_code}"
    if response.status_code >= 400:
        assert row_counts() == before


@FUZZ
@given(values=strategies.hostile_form(TWILIO_FIELDS), raw=strategies.raw_body)
def test_hostile_signed_twilio_callbacks_never_give_a_server_error(db, values, raw):
    client = Client(raise_request_exception=False)
    url = "http://testserver/sms/callbacks/twilio/"
    # Decoded as Django will decode it, so the signature is valid and the body reaches the parser.
    params = {k: strategies.form_value_bytes(v) for k, v in values.items()}
    params = {k: unquote(v, errors="replace") for k, v in params.items()}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)

    signed = client.generic(
        "POST",
        url,
        strategies.urlencoded(values),
        "application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    unsigned = client.generic("POST", url, raw[1], raw[0])

    assert signed.status_code < 500, f"signed twilio {values!r:.300} answered {signed.status_code}"
    assert unsigned.status_code == 403
