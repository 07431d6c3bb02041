"""Twilio Messages API through the official SDK, with `StatusCallback` receipts.

The SDK's HTTP client is rebased onto `SMS_TWILIO_BASE_URL`, so tests (and a regional edge) can
point it elsewhere. Callbacks are verified with the SDK's `RequestValidator` in the view.
"""

import datetime
from collections.abc import Mapping

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from sms import conf
from sms.conf import ProviderCredentials
from sms.providers import base

TWILIO_API = "https://api.twilio.com"
STATUS_MAP = {
    "accepted": base.ACCEPTED,
    "scheduled": base.ACCEPTED,
    "queued": base.ACCEPTED,
    "sending": base.ACCEPTED,
    "sent": base.ACCEPTED,
    "delivered": base.DELIVERED,
    "undelivered": base.FAILED,
    "failed": base.FAILED,
    "canceled": base.FAILED,
}
ERROR_KINDS = {
    21610: base.OPTED_OUT,
    21211: base.RECIPIENT,
    21612: base.RECIPIENT,
    21614: base.RECIPIENT,
    20429: base.TEMPORARY,
}


def to_e164(phone: str) -> str:
    digits = "".join(character for character in phone if character.isdigit())
    if phone.startswith("+"):
        return f"+{digits}"
    if digits.startswith("0"):
        return f"+886{digits[1:]}"
    return f"+{digits}"


class RebasedHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending to another base URL than api.twilio.com."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout, pool_connections=True)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: object, **kwargs: object):  # type: ignore[override]
        if self.base_url != TWILIO_API and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class TwilioProvider:
    name = "twilio"

    def __init__(self, credentials: ProviderCredentials) -> None:
        self.credentials = credentials
        self.client = Client(
            credentials.username,
            credentials.password,
            http_client=RebasedHttpClient(credentials.base_url, conf.http_timeout_seconds()),
        )

    def _error(self, error: TwilioRestException) -> base.ProviderError:
        code = int(error.code) if error.code else 0
        kind = ERROR_KINDS.get(code)
        if kind is None:
            kind = base.TEMPORARY if error.status == 429 else base.PROVIDER
        return base.ProviderError(
            kind=kind, code=f"twilio:{code or error.status}", detail=str(error.msg)[:200], raw={"code": str(code)}
        )

    def send(self, *, client_reference: str, phone: str, body: str, callback_url: str) -> base.SendResult:
        options: dict[str, str] = {"to": to_e164(phone), "from_": self.credentials.sender, "body": body}
        if callback_url:
            options["status_callback"] = callback_url
        try:
            message = self.client.messages.create(**options)
        except TwilioRestException as error:
            raise self._error(error) from error
        except requests.exceptions.ConnectionError as error:
            if isinstance(error, requests.exceptions.ConnectTimeout) or "Connection refused" in str(error):
                raise base.ProviderError(kind=base.PROVIDER, code="connect", detail="connection refused") from error
            raise base.ProviderTimeout("Twilio connection broke") from error
        except requests.exceptions.Timeout as error:
            raise base.ProviderTimeout("Twilio did not answer in time") from error
        return base.SendResult(provider_message_id=message.sid, raw={"sid": message.sid, "status": message.status})

    def recover(
        self, *, client_reference: str, phone: str, body: str, since: datetime.datetime, callback_url: str
    ) -> base.SendResult | None:
        try:
            candidates = self.client.messages.list(to=to_e164(phone), date_sent_after=since, limit=50)
        except TwilioRestException as error:
            raise self._error(error) from error
        except requests.exceptions.RequestException as error:
            raise base.ProviderTimeout("Twilio did not answer the lookup") from error
        for message in candidates:
            if message.body == body:
                return base.SendResult(provider_message_id=message.sid, raw={"sid": message.sid})
        return None

    def query(self, *, provider_message_ids: list[str]) -> list[base.Receipt]:
        receipts = []
        for sid in provider_message_ids:
            try:
                message = self.client.messages(sid).fetch()
            except TwilioRestException as error:
                raise self._error(error) from error
            except requests.exceptions.RequestException as error:
                raise base.ProviderTimeout("Twilio did not answer the query") from error
            receipts.append(
                base.Receipt(
                    provider_message_id=sid,
                    status=STATUS_MAP.get(message.status, ""),
                    provider_status=str(message.status),
                    occurred_at=message.date_updated,
                    raw={"sid": sid, "status": str(message.status), "error_code": str(message.error_code or "")},
                )
            )
        return receipts

    @staticmethod
    def parse_receipt(params: Mapping[str, str]) -> base.Receipt:
        status = params.get("MessageStatus", "") or params.get("SmsStatus", "")
        return base.Receipt(
            provider_message_id=params.get("MessageSid", "") or params.get("SmsSid", ""),
            status=STATUS_MAP.get(status, ""),
            provider_status=status + (f"/{params['ErrorCode']}" if params.get("ErrorCode") else ""),
            phone=params.get("To", ""),
            raw=dict(params),
            error_code=params.get("ErrorCode", ""),
            error_kind=ERROR_KINDS.get(int(code), "") if (code := params.get("ErrorCode", "")).isdigit() else "",
        )

    def billable_units(self, *, segments: int) -> int:
        return segments
