"""Customer bank accounts and mandates (授權扣款): their lifecycle (creation, cancel and change requests, the
bank's reply applied). The ACHP02 exchange with the bank is in `mandate_files`."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from banking import codec, crypto
from banking.audit import audit_record_append
from banking.models import Bank, BankAccount, Mandate, MandateAction, MandateStatus
from luckygas.delivery.models import Customer
from training.selectors import customer_is_practice


def bank_account_create(*, customer: Customer, bank_branch: str, account_number: str, holder_id: str) -> BankAccount:
    """Store a customer's account, encrypted; refuses a bad branch code, account or holder ID."""
    errors = {}
    if not (bank_branch.isdigit() and len(bank_branch) == 7):
        errors["bank_branch"] = _("Enter the 7-digit bank and branch code.")
    if not account_number.isdigit():
        errors["account_number"] = _("The account number must contain digits only.")
    elif len(account_number) > 16:
        errors["account_number"] = _("The account number has more than 16 digits.")
    holder_id = holder_id.strip().upper()
    if not codec.is_valid_customer_id(holder_id):
        errors["holder_id"] = _("Not a valid company tax ID or national ID.")
    if errors:
        raise ValidationError(errors)
    return BankAccount.objects.create(
        customer=customer,
        bank_branch=bank_branch,
        account_encrypted=crypto.encrypt_account(account_number),
        account_last4=account_number[-4:],
        holder_id=holder_id,
    )


def mandate_errors(
    *,
    customer: Customer,
    account: BankAccount,
    customer_number: str,
    start_date: datetime.date,
    end_date: datetime.date | None,
) -> dict[str, str]:
    """What is wrong with a new mandate's terms, by field (empty when nothing is)."""
    errors = {}
    if customer_is_practice(customer_id=customer.pk):
        errors["customer"] = _(
            "%(customer)s is practice data (練習) of a trainee: practice customers never reach a bank."
        ) % {"customer": f"{customer.code} {customer.short_name}"}
    if account.customer_id != customer.pk:
        errors["account"] = _("The account belongs to another customer.")
    if not customer_number.strip() or not customer_number.isascii() or len(customer_number) > 20:
        errors["customer_number"] = _("Enter the customer number (up to 20 ASCII characters).")
    if end_date and end_date < start_date:
        errors["end_date"] = _("The end date is before the start date.")
    return errors


def mandate_create(
    *,
    customer: Customer,
    bank: Bank,
    account: BankAccount,
    customer_number: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    limit_amount: int | None = None,
    actor: AbstractBaseUser | None = None,
) -> Mandate:
    """A pending mandate; debits start once the bank confirms it (`mandate_record_reply`)."""
    errors = mandate_errors(
        customer=customer, account=account, customer_number=customer_number, start_date=start_date, end_date=end_date
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        mandate = Mandate.objects.create(
            customer=customer,
            bank=bank,
            account=account,
            customer_number=customer_number,
            start_date=start_date,
            end_date=end_date,
            limit_amount=limit_amount,
            pending_action=MandateAction.NEW,
        )
        audit_record_append(action="mandate.created", actor=actor, bank_code=bank.code, details={"mandate": mandate.pk})
    return mandate


def mandate_request_cancel(*, mandate: Mandate, actor: AbstractBaseUser | str | None = None) -> Mandate:
    """Ask the bank to end a verified mandate (ACHP02 `D`); debits stop once the bank confirms."""
    with transaction.atomic():
        claimed = Mandate.objects.filter(
            pk=mandate.pk, status=MandateStatus.VERIFIED, pending_action=MandateAction.NONE
        ).update(pending_action=MandateAction.CANCEL)
        if not claimed:
            raise ValidationError({"status": _("Only a verified mandate with no request pending can be cancelled.")})
        audit_record_append(
            action="mandate.cancel_requested", actor=actor, bank_code=mandate.bank.code, details={"mandate": mandate.pk}
        )
    mandate.refresh_from_db()
    return mandate


def mandate_request_change(
    *,
    mandate: Mandate,
    limit_amount: int | None,
    end_date: datetime.date | None,
    actor: AbstractBaseUser | str | None = None,
) -> Mandate:
    """Ask the bank to change a verified mandate's limit or end date (ACHP02 `M`); the old terms hold until then."""
    if end_date is not None and end_date < mandate.start_date:
        raise ValidationError({"end_date": _("The end date is before the start date.")})
    if limit_amount is not None and not 0 < limit_amount < 100_000_000:
        raise ValidationError({"limit_amount": _("Enter a limit between 1 and 99,999,999.")})
    if limit_amount == mandate.limit_amount and end_date == mandate.end_date:
        raise ValidationError({"limit_amount": _("Nothing to change: the limit and end date are the same.")})
    with transaction.atomic():
        claimed = Mandate.objects.filter(
            pk=mandate.pk, status=MandateStatus.VERIFIED, pending_action=MandateAction.NONE
        ).update(pending_action=MandateAction.CHANGE, requested_limit_amount=limit_amount, requested_end_date=end_date)
        if not claimed:
            raise ValidationError({"status": _("Only a verified mandate with no request pending can be changed.")})
        audit_record_append(
            action="mandate.change_requested",
            actor=actor,
            bank_code=mandate.bank.code,
            details={"mandate": mandate.pk, "limit": limit_amount, "end_date": end_date},
        )
    mandate.refresh_from_db()
    return mandate


def mandate_record_reply(
    *,
    mandate: Mandate,
    reply_code: str,
    actor: AbstractBaseUser | str | None = None,
    reply_action: str | None = None,
    sent_only: bool = False,
) -> Mandate:
    """Apply the bank's ACHP02 reply to the mandate's pending request: `0` carries it out, anything else refuses it.

    New: verified or rejected. Cancel: cancelled, or still verified. Change: the requested limit and
    end date apply, or the old ones stay. The reply code is kept either way (shown in admin).
    A reply from the bank names the request it answers (`reply_action`, its A/D/M mark) and can only
    answer a request that was sent (`sent_only`); both are checked under the lock, and a reply that
    does not fit is refused, changing nothing.
    """
    if reply_code not in codec.MANDATE_REPLY_CODES:
        raise ValidationError({"reply_code": _("Unknown mandate reply code.")})
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().select_related("bank").get(pk=mandate.pk)
        if locked.pending_action == MandateAction.NONE:
            raise ValidationError({"status": _("This mandate has no request waiting for the bank's reply.")})
        action = locked.pending_action
        if reply_action is not None and reply_action != action:
            raise ValidationError(
                {
                    "status": _("The reply answers a “%(reply)s” request, but the request waiting is “%(pending)s”.")
                    % {"reply": MandateAction(reply_action).label, "pending": locked.get_pending_action_display()}
                }
            )
        if sent_only and locked.request_file_id is None:
            unsent = _("This mandate's request has not been sent to the bank yet, so the bank cannot have replied.")
            raise ValidationError({"status": unsent})
        accepted = reply_code == "0"
        now = timezone.now()
        if action == MandateAction.NEW:
            locked.status = MandateStatus.VERIFIED if accepted else MandateStatus.REJECTED
            locked.verified_at = now if accepted else None
        elif action == MandateAction.CANCEL and accepted:
            locked.status = MandateStatus.CANCELLED
        elif action == MandateAction.CHANGE and accepted:
            locked.limit_amount = locked.requested_limit_amount
            locked.end_date = locked.requested_end_date
        if not accepted:
            reason = codec.MANDATE_REPLY_CODES[reply_code]
            locked.note = f"ACHP02 {action} refused ({reply_code}: {reason})"[:200]
        locked.reply_code = reply_code
        locked.replied_at = now
        locked.pending_action = MandateAction.NONE
        locked.requested_limit_amount = None
        locked.requested_end_date = None
        locked.request_file = None
        locked.save()
        audit_record_append(
            action="mandate.reply",
            actor=actor,
            bank_code=locked.bank.code,
            details={"mandate": locked.pk, "request": action, "reply_code": reply_code, "accepted": accepted},
        )
    mandate.refresh_from_db()
    return mandate


def mandate_note_update(*, mandate: Mandate, note: str) -> Mandate:
    """The office's own note on a mandate: the one field admin edits in place (the rest goes through requests)."""
    Mandate.objects.filter(pk=mandate.pk).update(note=note)
    mandate.refresh_from_db(fields=["note"])
    return mandate
