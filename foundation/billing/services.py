"""Every write about invoices and payments. Stripe calls happen in tasks after commit."""

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from foundation import audit, emails, outbox
from foundation.accounts.models import Organization, OrganizationRole, Role
from foundation.transitions import DomainError, transition

from . import stripe_api
from .models import CURRENCY, Invoice, InvoiceLine, InvoiceSequence, Payment
from .signals import invoice_paid

PAYMENT_TERMS = timedelta(days=30)
logger = logging.getLogger(__name__)


def billing_emails(organization: Organization) -> list[str]:
    """The organization's billing contacts, or its admins when it names none."""
    return billing_emails_of([organization.pk])[organization.pk]


def billing_emails_of(organization_ids: Iterable[int]) -> dict[int, list[str]]:
    """billing_emails of each organization, in one query however many there are."""
    found: dict[int, dict[str, set[str]]] = {
        pk: {Role.BILLING: set(), Role.ADMIN: set()} for pk in organization_ids}
    for org_id, role, email in OrganizationRole.objects.filter(
            organization_id__in=found, role__in=[Role.BILLING, Role.ADMIN]
    ).values_list("organization_id", "role", "user__email"):
        found[org_id][role].add(email)
    return {pk: sorted(roles[Role.BILLING] or roles[Role.ADMIN]) for pk, roles in found.items()}


@transaction.atomic
def invoice_create(
    *,
    organization: Organization,
    lines: Iterable[tuple[str, Decimal]],
    subject: models.Model | None = None,
    po_number: str = "",
    tax_id: str = "",
    billing_address: str = "",
    billing_country: str = "",
    extra_emails: Iterable[str] = (),
    actor: Any = None,
) -> Invoice:
    """A draft invoice with one line per (description, amount in USD), sent to the
    organization's billing contacts and `extra_emails`."""
    lines = [(description, Decimal(amount)) for description, amount in lines]
    if not lines:
        raise DomainError("An invoice needs at least one line.")
    if any(amount < 0 for _, amount in lines):
        raise DomainError("Invoice lines cannot be negative.")
    invoice = Invoice.objects.create(
        organization=organization,
        total=sum((amount for _, amount in lines), Decimal("0.00")),
        po_number=po_number,
        tax_id=tax_id,
        billing_name=organization.legal_name,
        billing_address=billing_address,
        billing_country=billing_country,
        billing_emails=sorted({*billing_emails(organization), *filter(None, extra_emails)}),
        subject_type=ContentType.objects.get_for_model(subject) if subject else None,
        subject_id=str(subject.pk) if subject else "",
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=invoice, description=description, unit_amount=amount)
        for description, amount in lines
    )
    audit.record(invoice, actor=actor, action="invoice.create", new={"status": invoice.status,
                                                                     "total": str(invoice.total)})
    return invoice


def lock_invoice(invoice_id: int) -> Invoice:
    """Lock an invoice in the documented order (foundation/transitions.py): its organization,
    then what it pays for (the subject's own `lock_chain`), then the invoice."""
    found = Invoice.objects.filter(pk=invoice_id).values_list("organization_id", flat=True)
    if not found:
        raise Invoice.DoesNotExist(f"No invoice {invoice_id}.")
    Organization.objects.lock(found[0])
    invoice = Invoice.objects.get(pk=invoice_id)
    lock_chain = getattr(invoice.subject, "lock_chain", None)
    if lock_chain is not None:
        lock_chain()
    return Invoice.objects.select_for_update().get(pk=invoice_id)


def _next_number(year: int) -> str:
    InvoiceSequence.objects.bulk_create([InvoiceSequence(year=year)], ignore_conflicts=True)
    sequence = InvoiceSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"INV-{year}-{sequence.last_number:04d}"


@transaction.atomic
def invoice_issue(*, invoice_id: int, actor: Any = None) -> Invoice:
    """Number the invoice and make it payable, net 30. With Stripe configured the Stripe
    invoice is created after commit; otherwise it is e-mailed with bank-transfer details."""
    invoice = lock_invoice(invoice_id)
    if invoice.status != Invoice.Status.DRAFT:
        return invoice
    today = timezone.localdate()
    transition(invoice, Invoice.Status.OPEN, action="invoice.issue", actor=actor,
               number=_next_number(today.year), issue_date=today,
               due_date=today + PAYMENT_TERMS)
    if stripe_api.enabled():
        from .tasks import push_invoice_to_stripe

        outbox.enqueue(push_invoice_to_stripe, invoice.pk)
    else:
        _send_issued(invoice)
    return invoice


@transaction.atomic
def invoice_stripe_linked(*, invoice_id: int, stripe_invoice_id: str) -> Invoice:
    """Remember the Stripe twin of an invoice, under the invoice's lock; a different twin
    already recorded is an error, never overwritten."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.stripe_invoice_id == stripe_invoice_id:
        return invoice
    if invoice.stripe_invoice_id:
        raise DomainError(f"{invoice} is linked to {invoice.stripe_invoice_id} already, "
                          f"not {stripe_invoice_id}.")
    invoice.stripe_invoice_id = stripe_invoice_id
    invoice.save(update_fields=["stripe_invoice_id"])
    audit.record(invoice, action="invoice.stripe_linked", new={"stripe": stripe_invoice_id})
    return invoice


@transaction.atomic
def invoice_stripe_synced(*, invoice_id: int, stripe_invoice_id: str, hosted_url: str) -> Invoice:
    invoice_stripe_linked(invoice_id=invoice_id, stripe_invoice_id=stripe_invoice_id)
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    invoice.hosted_invoice_url = hosted_url or invoice.hosted_invoice_url
    invoice.sync_error = ""
    invoice.save(update_fields=["stripe_invoice_id", "hosted_invoice_url", "sync_error"])
    if invoice.is_payable:
        _send_issued(invoice)
    return invoice


@transaction.atomic
def invoice_sync_failed(*, invoice_id: int, error: str) -> None:
    """Stripe could not be reached after every retry: the contacts get our own invoice with
    bank-transfer details, and staff see the error and can push it to Stripe again."""
    invoice = _note_sync_error(invoice_id, error)
    if invoice.is_payable and not invoice.hosted_invoice_url:
        _send_issued(invoice)


@transaction.atomic
def invoice_status_push_failed(*, invoice_id: int, error: str) -> None:
    """Mirroring a void, uncollectible or wire payment on Stripe failed after every retry:
    staff see the error on the invoice and can push it again."""
    _note_sync_error(invoice_id, f"Could not update the Stripe invoice: {error}")


def _note_sync_error(invoice_id: int, error: str) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    invoice.sync_error = error[:2000]
    invoice.save(update_fields=["sync_error"])
    audit.record(invoice, action="invoice.stripe_sync_failed", note=invoice.sync_error)
    return invoice


@transaction.atomic
def invoice_push_again(*, invoice_id: int, actor: Any) -> Invoice:
    """Staff retry a failed sync: the Stripe twin is created, or its status mirrored."""
    from .tasks import push_invoice_to_stripe, push_status_to_stripe

    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if not (invoice.sync_error and stripe_api.enabled()):
        raise DomainError(f"{invoice} has no failed Stripe sync to retry.")
    audit.record(invoice, actor=actor, action="invoice.push_again", note=invoice.sync_error)
    invoice.sync_error = ""
    invoice.save(update_fields=["sync_error"])
    if invoice.hosted_invoice_url or not invoice.is_payable:
        outbox.enqueue(push_status_to_stripe, invoice.pk)
    else:
        outbox.enqueue(push_invoice_to_stripe, invoice.pk)
    return invoice


def invoice_url(invoice: Invoice) -> str:
    path = reverse("invoice_detail", kwargs={"slug": invoice.organization.slug,
                                             "invoice_id": invoice.pk})
    return f"{settings.SITE_URL}{path}"


def _mail_contacts(invoice: Invoice, kind: str, occurrence: str = "",
                   attachments: list[dict[str, Any]] | None = None, **context: Any) -> None:
    for email in invoice.billing_emails:
        emails.queue(
            kind=kind, obj=invoice, to=email, occurrence=occurrence, attachments=attachments,
            template=f"billing/emails/{kind}",
            context={"invoice": invoice, "url": invoice_url(invoice),
                     "bank_transfer": settings.BANK_TRANSFER_INSTRUCTIONS, **context},
        )


def _send_issued(invoice: Invoice, occurrence: str = "") -> None:
    _mail_contacts(invoice, "invoice_issued", occurrence,
                   attachments=[{"kind": "invoice_pdf", "invoice_id": invoice.pk}])


@transaction.atomic
def payment_record(
    *,
    invoice_id: int,
    method: str,
    amount: Decimal,
    currency: str = CURRENCY,
    received_at: datetime | None = None,
    stripe_id: str | None = None,
    reference: str = "",
    actor: Any = None,
) -> Payment | None:
    """Record money received, once per Stripe id or wire reference (a repeat returns None).
    The invoice is paid
    when its counted payments less refunds reach the total; a short payment leaves it open
    with the balance due. Money that cannot count is kept for staff, never dropped."""
    amount = Decimal(amount)
    currency = currency.upper()
    if amount <= 0:
        raise DomainError("A payment must be more than zero.")
    invoice = lock_invoice(invoice_id)
    if stripe_id and Payment.objects.filter(stripe_id=stripe_id).exists():
        return None
    if reference and invoice.payments.filter(method=method, reference=reference, amount=amount,
                                             kind=Payment.Kind.PAYMENT).exists():
        return None  # the same wire entered again
    if invoice.status == Invoice.Status.DRAFT:
        raise DomainError(f"{invoice} is not issued yet; it cannot be paid.")
    if method == Payment.Method.WIRE and currency != invoice.currency:
        raise DomainError(f"{invoice} is in {invoice.currency}; a payment in {currency} needs "
                          "staff review: record it once finance has converted it.")
    balance = invoice.balance_due
    review = _review_reason(invoice, method, amount, currency, balance)
    payment = Payment.objects.create(
        invoice=invoice, method=method, amount=amount, currency=currency,
        counted=currency == invoice.currency, needs_review=bool(review), review_note=review,
        stripe_id=stripe_id, reference=reference, received_at=received_at or timezone.now(),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(invoice, actor=actor, action="invoice.payment",
                 new={"amount": str(amount), "currency": currency, "method": method},
                 note=reference or review)
    if review:
        _tell_staff(payment)
    if invoice.is_payable and payment.counted and invoice.amount_paid >= invoice.total:
        _mark_paid(invoice, payment, actor=actor)
    elif invoice.is_payable and payment.counted:
        _mail_contacts(invoice, "payment_received", occurrence=str(payment.pk), payment=payment,
                       balance=invoice.balance_due)
    return payment


def _review_reason(invoice: Invoice, method: str, amount: Decimal, currency: str,
                   balance: Decimal) -> str:
    if currency != invoice.currency:
        return (f"Paid in {currency}, but {invoice} is in {invoice.currency}: it does not "
                "count toward the invoice. Convert and record it, or refund it.")
    if invoice.status == Invoice.Status.PAID:
        return f"{invoice} was paid already: this payment is an overpayment to refund."
    if invoice.status == Invoice.Status.VOID:
        return f"{invoice} is void: this payment is to refund."
    if method == Payment.Method.STRIPE and amount != balance:
        return (f"Stripe reported {amount:,} {currency} paid, but {balance:,} "
                f"{invoice.currency} was due on {invoice}.")
    if amount > balance:
        return f"{amount - balance:,} {currency} more than the {balance:,} due: refund the rest."
    return ""


def _mark_paid(invoice: Invoice, payment: Payment, *, actor: Any) -> None:
    """The total is reached: paid, mirrored on Stripe, and what it pays for is told."""
    note = payment.get_method_display() + (f", reference {payment.reference}"
                                           if payment.reference else "")
    transition(invoice, Invoice.Status.PAID, action="invoice.paid", actor=actor, note=note,
               paid_at=payment.received_at)
    _tell_stripe(invoice, from_stripe=payment.method == Payment.Method.STRIPE)
    if invoice.subject_type_id:
        subject = invoice.subject
        invoice_paid.send(sender=type(subject), invoice=invoice, subject=subject)
    _mail_contacts(invoice, "payment_received", payment=payment, balance=Decimal("0.00"))


@transaction.atomic
def refund_record(
    *,
    invoice_id: int,
    amount: Decimal,
    method: str,
    reference: str,
    actor: Any,
    refunded_at: datetime | None = None,
) -> Payment:
    """Staff record money paid back (made in Stripe or by the bank), with its reference.
    Only what the invoice holds beyond its total (all of it, once void) can go back."""
    amount = Decimal(amount)
    if amount <= 0:
        raise DomainError("A refund must be more than zero.")
    if not reference.strip():
        raise DomainError("Give the refund's reference (the bank's or Stripe's).")
    invoice = lock_invoice(invoice_id)
    refundable = invoice.overpaid if invoice.status != Invoice.Status.OPEN \
        else invoice.amount_paid
    if amount > refundable:
        raise DomainError(f"At most {refundable:,} {invoice.currency} of {invoice} can be "
                          "refunded.")
    refund = Payment.objects.create(
        invoice=invoice, kind=Payment.Kind.REFUND, method=method, amount=amount,
        currency=invoice.currency, reference=reference.strip(),
        received_at=refunded_at or timezone.now(), recorded_by=actor,
    )
    audit.record(invoice, actor=actor, action="invoice.refund",
                 new={"amount": str(amount), "currency": invoice.currency}, note=reference)
    return refund


@transaction.atomic
def payment_reviewed(*, payment_id: int, actor: Any, note: str = "") -> Payment:
    """Staff have dealt with a payment that needed review (refunded, converted, decided)."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if not payment.needs_review:
        return payment
    payment.needs_review = False
    payment.save(update_fields=["needs_review"])
    audit.record(payment, actor=actor, action="payment.reviewed",
                 old={"needs_review": True}, new={"needs_review": False}, note=note)
    return payment


def payment_flag(*, invoice_id: int, note: str) -> None:
    """What an invoice paid for cannot take the money (e.g. a lapsed membership's renewal):
    its latest payment goes to staff for review, at once."""
    payment = Payment.objects.select_for_update().filter(
        invoice_id=invoice_id, kind=Payment.Kind.PAYMENT).first()
    if payment is None or payment.needs_review:
        return
    payment.needs_review = True
    payment.review_note = note
    payment.save(update_fields=["needs_review", "review_note"])
    audit.record(payment, action="payment.flagged", note=note)
    _tell_staff(payment)


def _tell_staff(payment: Payment) -> None:
    for address in emails.staff_emails():
        emails.queue(kind="payment_needs_review", obj=payment, to=address,
                     template="billing/emails/payment_needs_review",
                     context={"payment": payment, "invoice": payment.invoice})


def _change_status(invoice_id: int, new: str, action: str, actor: Any, note: str) -> Invoice:
    invoice = lock_invoice(invoice_id)
    if invoice.status != new:
        transition(invoice, new, action=action, actor=actor, note=note)
    return invoice


def _tell_stripe(invoice: Invoice, from_stripe: bool) -> None:
    """A change made here (void, paid by wire) is mirrored on the Stripe invoice; with Stripe
    not configured nothing calls it, and the log says so."""
    if not invoice.stripe_invoice_id or from_stripe:
        return
    if not stripe_api.enabled():
        logger.info("Stripe is not configured: %s changed here only, Stripe was skipped.",
                    invoice)
        return
    from .tasks import push_status_to_stripe

    outbox.enqueue(push_status_to_stripe, invoice.pk)


@transaction.atomic
def invoice_void(
    *, invoice_id: int, actor: Any = None, note: str = "", from_stripe: bool = False
) -> Invoice:
    invoice = _change_status(invoice_id, Invoice.Status.VOID, "invoice.void", actor, note)
    _tell_stripe(invoice, from_stripe)
    return invoice


@transaction.atomic
def invoice_mark_uncollectible(
    *, invoice_id: int, actor: Any = None, note: str = "", from_stripe: bool = False
) -> Invoice:
    invoice = _change_status(
        invoice_id, Invoice.Status.UNCOLLECTIBLE, "invoice.uncollectible", actor, note
    )
    _tell_stripe(invoice, from_stripe)
    return invoice


@transaction.atomic
def invoice_resend(*, invoice_id: int, actor: Any) -> Invoice:
    invoice = lock_invoice(invoice_id)
    if not invoice.is_payable:
        raise DomainError(f"{invoice} is {invoice.get_status_display().lower()}; "
                          "only an open invoice can be sent again.")
    sent = audit.history(invoice).filter(action="invoice.resend").count()
    audit.record(invoice, actor=actor, action="invoice.resend")
    _send_issued(invoice, occurrence=f"resend-{sent + 1}")
    return invoice


@transaction.atomic
def invoice_payment_failed(*, invoice_id: int, attempt: str, reason: str = "") -> Invoice:
    """Tell the billing contacts, once per failed attempt."""
    invoice = lock_invoice(invoice_id)
    if invoice.status == Invoice.Status.PAID:
        return invoice
    audit.record(invoice, action="invoice.payment_failed", note=reason)
    _mail_contacts(invoice, "payment_failed", occurrence=attempt, reason=reason)
    return invoice


def send_overdue_notices(*, today: date | None = None) -> int:
    """Once per invoice, on the day after it falls due or later."""
    today = today or timezone.localdate()
    count = 0
    for invoice in Invoice.objects.overdue(today).select_related("organization"):
        with transaction.atomic():
            _mail_contacts(invoice, "invoice_overdue")
        count += 1
    return count
