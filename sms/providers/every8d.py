"""Every8d API21: `sendSMS.ashx`, `getDeliveryStatus.ashx` and the delivery report callback.

Replies are CSV with HTTP 200: `CREDIT,SENDED,COST,UNSEND,BATCHID` on success, `-code,message`
on error. Every8d can only be asked about a BATCHID (`getDeliveryStatus.ashx` takes `BID` and a
page number; the v3 `getdrstatus` also wants the batch id): there is no lookup by our `MR`, by
number or by time. A message whose reply was lost in a timeout therefore cannot be looked up:
`recover` raises `RecoveryUnsupportedError`, the message stays `unknown` (never sent twice) and
the office decides whether to resend it through another provider.
"""

import datetime
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from sms.conf import ProviderCredentials
from sms.providers import base
from sms.providers.http import client_for, post_form

TAIPEI = ZoneInfo("Asia/Taipei")
MAX_CONNECTIONS = 10

ERROR_CODES: dict[str, tuple[str, str]] = {
    "-1": (base.PROVIDER, "bad parameters"),
    "-2": (base.PROVIDER, "bad credentials"),
    "-3": (base.RECIPIENT, "bad number or blacklisted"),
    "-4": (base.PROVIDER, "schedule time too far in the past"),
    "-5": (base.PROVIDER, "message too long"),
    "-6": (base.PROVIDER, "bad time format"),
    "-24": (base.RECIPIENT, "empty content"),
    "-99": (base.PROVIDER, "host error"),
    "-100": (base.PROVIDER, "wrong username"),
    "-101": (base.PROVIDER, "wrong password"),
    "-300": (base.PROVIDER, "credentials required"),
}
DELIVERY_CODES: dict[str, tuple[str, str]] = {
    "0": (base.ACCEPTED, "handed to the carrier"),
    "100": (base.DELIVERED, "delivered"),
    "101": (base.FAILED, "handset off or no signal"),
    "102": (base.FAILED, "network fault"),
    "103": (base.FAILED, "empty or suspended number"),
    "104": (base.FAILED, "incompatible handset"),
    "105": (base.FAILED, "unexpected error"),
    "106": (base.FAILED, "unexpected error"),
    "107": (base.FAILED, "handset off or no signal"),
    "300": (base.ACCEPTED, "scheduled"),
    "303": (base.FAILED, "cancelled"),
    "500": (base.FAILED, "international SMS not enabled"),
}


def map_status(code: str) -> str:
    code = code.strip()
    if code in DELIVERY_CODES:
        return DELIVERY_CODES[code][0]
    if code.startswith("-"):
        return base.FAILED
    return ""


def parse_time(value: str) -> datetime.datetime | None:
    for pattern in ("%Y%m%d%H%M%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.datetime.strptime(value.strip(), pattern).replace(tzinfo=TAIPEI)
        except ValueError:
            continue
    return None


class Every8dProvider:
    name = "every8d"

    def __init__(self, credentials: ProviderCredentials) -> None:
        self.credentials = credentials
        self.client = client_for(credentials.base_url, max_connections=MAX_CONNECTIONS)

    def _post(self, path: str, data: dict[str, str]) -> str:
        form = {"UID": self.credentials.username, "PWD": self.credentials.password, **data}
        return post_form(self.client, path, form, provider="Every8d").strip()

    def send(self, *, client_reference: str, phone: str, body: str, callback_url: str) -> base.SendResult:
        text = self._post(
            "/API21/HTTP/sendSMS.ashx",
            {"SB": "", "MSG": body, "DEST": phone, "ST": "", "RETRYTIME": "1440", "MR": client_reference[:36]},
        )
        fields = [field.strip() for field in text.split(",")]
        if fields and fields[0].startswith("-"):
            code = fields[0]
            kind, detail = ERROR_CODES.get(code, (base.PROVIDER, ",".join(fields[1:])[:200] or "error"))
            raise base.ProviderError(kind=kind, code=f"every8d:{code}", detail=detail, raw={"reply": text[:200]})
        if len(fields) < 5 or not fields[4]:
            raise base.ProviderError(kind=base.PROVIDER, code="every8d:reply", detail="unexpected reply")
        credit, sent, cost, unsent, batch_id = fields[:5]
        if sent in {"0", "0.0"} and unsent not in {"0", "0.0"}:
            raise base.ProviderError(kind=base.RECIPIENT, code="every8d:unsent", detail="recipient not sent")
        return base.SendResult(
            provider_message_id=batch_id,
            balance=int(float(credit)) if credit else None,
            raw={"CREDIT": credit, "SENDED": sent, "COST": cost, "UNSEND": unsent, "BATCHID": batch_id},
        )

    def recover(
        self, *, client_reference: str, phone: str, body: str, since: datetime.datetime, callback_url: str
    ) -> base.SendResult | None:
        raise base.RecoveryUnsupportedError("Every8d cannot look up a message without its BATCHID")

    def query(self, *, provider_message_ids: list[str]) -> list[base.Receipt]:
        receipts: list[base.Receipt] = []
        for batch_id in provider_message_ids:
            text = self._post("/API21/HTTP/getDeliveryStatus.ashx", {"BID": batch_id, "PNO": "1"})
            lines = [line for line in text.replace("\r", "").split("\n") if line.strip()]
            if lines and lines[0].strip().startswith("-"):
                continue
            for line in lines[1:]:
                parts = line.split("\t")
                if len(parts) < 5:
                    continue
                code = parts[4].strip()
                receipts.append(
                    base.Receipt(
                        provider_message_id=batch_id,
                        status=map_status(code),
                        provider_status=code,
                        occurred_at=parse_time(parts[2]),
                        phone=parts[1].strip(),
                        raw={"BID": batch_id, "mobile": parts[1].strip(), "sendtime": parts[2], "status": code},
                    )
                )
        return receipts

    def balance(self) -> int | None:
        text = self._post("/API21/HTTP/getCredit.ashx", {})
        try:
            return int(float(text))
        except ValueError:
            return None

    @staticmethod
    def parse_receipt(params: Mapping[str, str]) -> base.Receipt:
        code = params.get("STATUS", "").strip()
        return base.Receipt(
            provider_message_id=params.get("BATCHID", "").strip(),
            status=map_status(code),
            provider_status=code,
            occurred_at=parse_time(params.get("RT", "")),
            phone=params.get("RM", ""),
            reply_text=params.get("SM", ""),
            raw=dict(params),
        )

    def billable_units(self, *, segments: int) -> int:
        return segments
