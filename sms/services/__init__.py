"""Every write to the SMS outbox goes through these functions.

A message is a row first (`message_enqueue`); `message_dispatch` claims it with a conditional
UPDATE lease, applies compliance and limits, and hands it to one provider. A timeout never
leads to a blind resend: the attempt becomes `unknown` and `attempt_recover` asks that provider
first. Receipts (`receipt_record`) are stored raw and only ever move a status forward.

Split by concern: `status`, `enqueue`, `dispatch`, `outcomes`, `receipts`, `recipients`, `reconcile`;
everything is importable from here.
"""

from sms.services.dispatch import attempt_recover, message_dispatch
from sms.services.enqueue import check_marketing_text, message_enqueue
from sms.services.outcomes import unrecoverable_notice
from sms.services.receipts import provider_poll, receipt_record
from sms.services.recipients import (
    OPT_OUT_KEYWORDS,
    consent_record,
    inbound_record,
    opt_out_add,
    opt_out_from_provider,
)
from sms.services.reconcile import critical_resend_due, message_resend, outbox_reconcile
from sms.services.status import ATTEMPT_RANK, LEASE, MAX_TEMPORARY_RETRIES, RATE_LIMIT_CODES, TAIPEI, UNRECOVERABLE

__all__ = [
    "ATTEMPT_RANK",
    "LEASE",
    "MAX_TEMPORARY_RETRIES",
    "OPT_OUT_KEYWORDS",
    "RATE_LIMIT_CODES",
    "TAIPEI",
    "UNRECOVERABLE",
    "attempt_recover",
    "check_marketing_text",
    "consent_record",
    "critical_resend_due",
    "inbound_record",
    "message_dispatch",
    "message_enqueue",
    "message_resend",
    "opt_out_add",
    "opt_out_from_provider",
    "outbox_reconcile",
    "provider_poll",
    "receipt_record",
    "unrecoverable_notice",
]
