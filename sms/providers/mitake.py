"""Mitake (三竹簡訊) HTTP API: `SmSend`, `SmQuery` and the delivery-receipt GET callback.

`clientid` carries our per-message reference, so sending again after a lost answer returns the
earlier reply with `Duplicate=Y` instead of a second SMS. Errors arrive with HTTP 200 and a
status-code letter. Credentials travel in the POST body, never in the URL.
"""

import datetime
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from sms.conf import ProviderCredentials
from sms.providers import base
from sms.providers.http import client_for, post_form

TAIPEI = ZoneInfo("Asia/Taipei")
NEWLINE = chr(6)  # Mitake wants ASCII 6 where the body has a line break.
MAX_CONNECTIONS = 15  # Mitake allows about 15 concurrent connections per account.

# statuscode → (our status or error kind, description). Source: Mitake API documentation.
DELIVERY_CODES: dict[str, tuple[str, str]] = {
    "0": (base.ACCEPTED, "scheduled"),
    "1": (base.ACCEPTED, "sent to the carrier"),
    "2": (base.ACCEPTED, "sent to the carrier"),
    "3": (base.ACCEPTED, "sent to the carrier"),
    "4": (base.DELIVERED, "delivered to the handset"),
    "5": (base.FAILED, "content error"),
    "6": (base.FAILED, "number error"),
    "7": (base.FAILED, "SMS disabled for this number"),
    "8": (base.EXPIRED, "delivery timed out"),
    "9": (base.FAILED, "cancelled"),
}
ERROR_CODES: dict[str, tuple[str, str]] = {
    "*": (base.PROVIDER, "system error"),
    "a": (base.TEMPORARY, "sending temporarily suspended"),
    "b": (base.TEMPORARY, "sending temporarily suspended"),
    "c": (base.PROVIDER, "username missing"),
    "d": (base.PROVIDER, "password missing"),
    "e": (base.PROVIDER, "wrong username or password"),
    "f": (base.PROVIDER, "account expired"),
    "h": (base.PROVIDER, "account disabled"),
    "k": (base.PROVIDER, "source IP not allowed"),
    "l": (base.TEMPORARY, "too many connections"),
    "m": (base.PROVIDER, "password must be changed"),
    "n": (base.PROVIDER, "password expired"),
    "p": (base.PROVIDER, "no HTTP API permission"),
    "r": (base.TEMPORARY, "service paused"),
    "s": (base.PROVIDER, "billing failure"),
    "t": (base.PROVIDER, "account expired"),
    "u": (base.RECIPIENT, "empty message body"),
    "v": (base.RECIPIENT, "invalid phone number"),
}
# Send-reply delivery codes that mean the message itself cannot go out.
SEND_REJECTIONS = {"5": base.RECIPIENT, "6": base.RECIPIENT, "7": base.RECIPIENT, "9": base.PROVIDER}
CALLBACK_STATUS_STRINGS = {
    "DELIVRD": base.DELIVERED,
    "EXPIRED": base.EXPIRED,
    "DELETED": base.FAILED,
    "UNDELIV": base.FAILED,
    "SYNTAXE": base.FAILED,
    "UNKNOWN": "",
}
CALLBACK_ANSWER = "magicid=sms_gateway_rpack\nmsgid={msgid}\n"


def parse_ini_reply(text: str) -> list[dict[str, str]]:
    """Split Mitake's INI-style reply into one dict per `[n]` block (a bare reply is one block)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for raw_line in text.replace("\r", "").split("\n"):
        line = raw_line.strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = {}
            blocks.append(current)
            continue
        if "=" not in line:
            continue
        key, _, value = line.partition("=")
        if current is None:
            current = {}
            blocks.append(current)
        current[key.strip()] = value.strip()
    return blocks


def normalize_msgid(value: str) -> str:
    return value.strip().lstrip("#")


def parse_time(value: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.strptime(value.strip(), "%Y%m%d%H%M%S").replace(tzinfo=TAIPEI)
    except ValueError:
        return None


class MitakeProvider:
    name = "mitake"

    def __init__(self, credentials: ProviderCredentials) -> None:
        self.credentials = credentials
        self.client = client_for(credentials.base_url, max_connections=MAX_CONNECTIONS)

    def _post(self, path: str, data: dict[str, str], params: dict[str, str] | None = None) -> str:
        form = {"username": self.credentials.username, "password": self.credentials.password, **data}
        return post_form(self.client, path, form, provider="Mitake", params=params)

    def send(self, *, client_reference: str, phone: str, body: str, callback_url: str) -> base.SendResult:
        data = {
            "dstaddr": phone,
            "smbody": body.replace("\r\n", "\n").replace("\n", NEWLINE),
            "clientid": client_reference[:36],
        }
        if callback_url:
            data["response"] = callback_url
        text = self._post("/api/mtk/SmSend", data, params={"CharsetURL": "UTF8"})
        blocks = parse_ini_reply(text)
        block = blocks[0] if blocks else {}
        balance = next((block.get("AccountPoint") for block in blocks if "AccountPoint" in block), None)
        code = block.get("statuscode", "")
        raw = {key: value for key, value in block.items() if key != "smbody"}
        if code in ERROR_CODES:
            kind, detail = ERROR_CODES[code]
            raise base.ProviderError(kind=kind, code=f"mitake:{code}", detail=detail, raw=raw)
        if code in SEND_REJECTIONS:
            raise base.ProviderError(
                kind=SEND_REJECTIONS[code], code=f"mitake:{code}", detail=DELIVERY_CODES[code][1], raw=raw
            )
        msgid = normalize_msgid(block.get("msgid", ""))
        if code not in DELIVERY_CODES or not msgid:
            raise base.ProviderError(kind=base.PROVIDER, code=f"mitake:{code or 'empty'}", detail="unexpected reply")
        return base.SendResult(
            provider_message_id=msgid,
            is_duplicate=block.get("Duplicate", "").upper() == "Y",
            balance=int(float(balance)) if balance not in (None, "") else None,
            raw=raw,
        )

    def recover(
        self, *, client_reference: str, phone: str, body: str, since: datetime.datetime, callback_url: str
    ) -> base.SendResult | None:
        # The same clientid is Mitake's own query: an accepted message answers Duplicate=Y with its
        # msgid, a message Mitake never saw is sent now, once.
        return self.send(client_reference=client_reference, phone=phone, body=body, callback_url=callback_url)

    def query(self, *, provider_message_ids: list[str]) -> list[base.Receipt]:
        receipts: list[base.Receipt] = []
        for start in range(0, len(provider_message_ids), 100):
            chunk = provider_message_ids[start : start + 100]
            text = self._post("/api/mtk/SmQuery", {"msgid": ",".join(chunk)})
            for line in text.replace("\r", "").split("\n"):
                parts = line.strip().split("\t")
                if len(parts) < 2 or "=" in parts[0]:
                    continue
                msgid, code = normalize_msgid(parts[0]), parts[1].strip()
                status = DELIVERY_CODES.get(code, ("", ""))[0]
                receipts.append(
                    base.Receipt(
                        provider_message_id=msgid,
                        status=status,
                        provider_status=code,
                        occurred_at=parse_time(parts[2]) if len(parts) > 2 else None,
                        raw={"msgid": msgid, "statuscode": code, "statustime": parts[2] if len(parts) > 2 else ""},
                    )
                )
        return receipts

    def balance(self) -> int | None:
        blocks = parse_ini_reply(self._post("/api/mtk/SmQuery", {}))
        for block in blocks:
            if "AccountPoint" in block:
                return int(float(block["AccountPoint"]))
        return None

    @staticmethod
    def parse_receipt(params: Mapping[str, str]) -> base.Receipt:
        code = params.get("statuscode", "").strip()
        status = DELIVERY_CODES.get(code, ("", ""))[0]
        if not status:
            status = CALLBACK_STATUS_STRINGS.get(params.get("statusstr", "").strip().upper(), "")
        return base.Receipt(
            provider_message_id=normalize_msgid(params.get("msgid", "")),
            status=status,
            provider_status=code or params.get("statusstr", ""),
            occurred_at=parse_time(params.get("donetime", "")),
            phone=params.get("dstaddr", ""),
            raw=dict(params),
        )

    def billable_units(self, *, segments: int) -> int:
        return segments
