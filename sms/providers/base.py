"""The one small interface every SMS provider implements.

`send` hands one message over and returns the provider's id, or raises:
- `ProviderTimeout`: the request may have been accepted (read timeout); never resend blindly,
  ask the provider first (`recover`, then `query`).
- `ProviderError(kind=...)`: a definite answer. `TEMPORARY` may be retried later on the same
  provider, `PROVIDER` means try the next provider now, `RECIPIENT` means no provider can help,
  `OPTED_OUT` means the recipient unsubscribed.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

TEMPORARY = "temporary"
PROVIDER = "provider"
RECIPIENT = "recipient"
OPTED_OUT = "opted_out"

# Statuses a receipt or query can report, in our vocabulary (see sms.models.AttemptStatus).
ACCEPTED = "accepted"
DELIVERED = "delivered"
FAILED = "failed"
EXPIRED = "expired"


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    is_duplicate: bool = False
    balance: int | None = None
    raw: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str
    status: str  # ACCEPTED, DELIVERED, FAILED, EXPIRED, or "" when nothing is known yet
    provider_status: str
    occurred_at: datetime.datetime | None = None
    phone: str = ""
    reply_text: str = ""
    raw: Mapping[str, str] = field(default_factory=dict)
    error_code: str = ""  # the provider's error code, when the receipt carries one
    error_kind: str = ""  # what that code means (OPTED_OUT, RECIPIENT, ...), "" when unknown


class ProviderError(Exception):
    def __init__(self, *, kind: str, code: str, detail: str, raw: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{kind} error {code}: {detail}")
        self.kind = kind
        self.code = code
        self.detail = detail
        self.raw = dict(raw or {})


class ProviderTimeout(Exception):
    """The provider did not answer in time; it may or may not have accepted the message."""


class RecoveryUnsupportedError(Exception):
    """The provider offers no way to look up a message whose reply (and so its id) was lost.

    Asking again cannot help: the attempt stays `unknown` and an operator decides."""


class SmsProvider(Protocol):
    name: str

    def send(self, *, client_reference: str, phone: str, body: str, callback_url: str) -> SendResult: ...

    def recover(
        self, *, client_reference: str, phone: str, body: str, since: datetime.datetime, callback_url: str
    ) -> SendResult | None:
        """After a timeout: the provider's id for the message if it did accept it, else None.

        Raises `RecoveryUnsupportedError` when the provider cannot be asked at all."""
        ...

    def query(self, *, provider_message_ids: list[str]) -> list[Receipt]: ...

    @staticmethod
    def parse_receipt(params: Mapping[str, str]) -> Receipt: ...

    def billable_units(self, *, segments: int) -> int: ...
