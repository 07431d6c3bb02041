"""Invoices and payments."""

import datetime
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.delivery import events
from luckygas.delivery.models import (
    Customer,
    Invoice,
    InvoiceStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentChannel,
)


def invoice_create(
    *, customer: Customer, number: str, issue_date: datetime.date, due_date: datetime.date, orders: Sequence[Order]
) -> Invoice:
    """Invoice delivered, not yet invoiced orders of one customer."""
    with transaction.atomic():
        locked = list(Order.objects.select_for_update().filter(pk__in=[o.pk for o in orders]).order_by("pk"))
        if not locked:
            raise ValidationError({"orders": _("An invoice needs at least one order.")})
        for order in locked:
            if order.customer_id != customer.pk:
                raise ValidationError({"orders": _("Order %(order)s belongs to another customer.") % {"order": order}})
            if order.status != OrderStatus.DELIVERED or order.invoice_id:
                raise ValidationError(
                    {"orders": _("Order %(order)s is not delivered or already invoiced.") % {"order": order}}
                )
        invoice = Invoice(
            customer=customer,
            number=number,
            issue_date=issue_date,
            due_date=due_date,
            amount=sum(order.total_amount for order in locked),
        )
        invoice.full_clean()
        invoice.save()
        Order.objects.filter(pk__in=[order.pk for order in locked]).update(invoice=invoice)
    return invoice


def invoice_record_payment(
    *,
    invoice: Invoice,
    amount: int,
    channel: str,
    received_at: datetime.datetime | None = None,
    reference: str = "",
    actor: AbstractBaseUser | None = None,
) -> Payment:
    """Record a payment; the invoice is paid once payments cover its amount.

    With a `reference` the call is idempotent: the same reference returns the first payment.
    """
    if not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount": _("The amount must be a positive whole number of NT dollars.")})
    if channel not in PaymentChannel.values:
        raise ValidationError({"channel": _("Unknown payment channel.")})
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if reference:
            existing = Payment.objects.filter(reference=reference).first()
            if existing is not None:
                return existing
        if locked.status == InvoiceStatus.VOID:
            raise ValidationError({"invoice": _("This invoice is void.")})
        payment = Payment.objects.create(
            invoice=locked,
            amount=amount,
            channel=channel,
            received_at=received_at or timezone.now(),
            reference=reference,
            recorded_by=actor,
        )
        paid_total = sum(locked.payments.values_list("amount", flat=True))
        if locked.status == InvoiceStatus.OPEN and paid_total >= locked.amount:
            locked.status = InvoiceStatus.PAID
            locked.paid_at = payment.received_at
            locked.save(update_fields=["status", "paid_at", "updated_at"])
            events.publish(events.InvoicePaid(invoice_id=locked.pk))
        events.publish(events.PaymentRecorded(payment_id=payment.pk, invoice_id=locked.pk))
    invoice.refresh_from_db()
    return payment


def invoice_mark_paid(
    *, invoice: Invoice, channel: str = PaymentChannel.BANK_TRANSFER, actor: AbstractBaseUser | None = None
) -> Payment | None:
    """Record a payment of the open balance of an open invoice (the admin's 'mark paid' action)."""
    locked_balance = invoice.amount - sum(invoice.payments.values_list("amount", flat=True))
    if invoice.status != InvoiceStatus.OPEN:
        raise ValidationError({"status": _("Invoice %(number)s is not open.") % {"number": invoice.number}})
    if locked_balance <= 0:
        return None
    return invoice_record_payment(invoice=invoice, amount=locked_balance, channel=channel, actor=actor)
