"""Opt-outs (admin, keyword replies, provider errors) and marketing consent."""

import json
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils import timezone

from luckygas.delivery.models import Customer
from luckygas.delivery.validators import normalize_taiwan_phone
from sms.models import (
    MarketingConsent,
    OptOut,
    ProviderEvent,
)
from sms.services.status import _record_event

OPT_OUT_KEYWORDS = frozenset({"STOP", "退訂", "取消", "UNSUBSCRIBE", "STOPALL"})


def opt_out_add(*, phone: str, source: str = OptOut.Source.ADMIN, note: str = "") -> OptOut:
    """Put a number on the opt-out list (idempotent)."""
    normalized = normalize_taiwan_phone(phone)
    opt_out, _created = OptOut.objects.get_or_create(phone=normalized, defaults={"source": source, "note": note[:200]})
    MarketingConsent.objects.filter(phone=normalized, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return opt_out


def opt_out_from_provider(*, phone: str, provider: str, code: str) -> OptOut | None:
    """The provider says the recipient unsubscribed (Twilio 21610): opt the number out.

    One rule for a send's error and a later status callback; a malformed number changes nothing.
    """
    try:
        return opt_out_add(phone=phone, source=OptOut.Source.PROVIDER, note=f"{provider} {code}")
    except ValidationError:
        return None


def inbound_record(*, provider: str, phone: str, text: str, raw: Mapping[str, str]) -> bool:
    """Store an inbound reply; an opt-out keyword puts the number on the opt-out list. True if it did."""
    _record_event(
        provider=provider,
        kind=ProviderEvent.Kind.INBOUND,
        dedupe_parts=[json.dumps(dict(raw), sort_keys=True, ensure_ascii=False)],
        raw=raw,
        phone=phone,
    )
    keyword = text.strip().upper()
    if keyword in OPT_OUT_KEYWORDS or text.strip() in OPT_OUT_KEYWORDS:
        try:
            opt_out_add(phone=phone, source=OptOut.Source.KEYWORD, note=f"{provider} reply")
        except ValidationError:
            return False
        return True
    return False


def consent_record(*, phone: str, source: str, customer: Customer | None = None) -> MarketingConsent:
    """Record marketing consent for a number (e.g. a signed form); an opt-out still wins."""
    normalized = normalize_taiwan_phone(phone)
    consent, _created = MarketingConsent.objects.update_or_create(
        phone=normalized,
        defaults={"source": source[:120], "customer": customer, "granted_at": timezone.now(), "revoked_at": None},
    )
    return consent
