"""Every write about invoices and payments. Stripe calls happen in tasks after commit."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from foundation import audit, emails
from foundation.transitions import DomainError, ensure_transition
from members.models import Organization, OrganizationRole, Role

from . import stripe_api
from .models import Invoice, InvoiceLine, InvoiceSequence, Payment
from .signals import invoice_paid

PAYMENT_TERMS = timedelta(days=30)


def billing_emails(organization: Organization) -> list[str]:
    """The organization's billing contacts, or its admins when it names none."""
    roles = OrganizationRole.objects.filter(organization=organization)
    found = list(roles.filter(role=Role.BILLING).values_list("user__email", flat=True))
    if not found:
        found = list(roles.filter(role=Role.ADMIN).values_list("user__email", flat=True))
    return sorted(set(found))


@transaction.atomic
def invoice_create(
    *,
    organization: Organization,
    lines: Iterable[tuple[str, Decimal]],
    subject: models.Model | None = None,
    po_number: str = "",
    tax_id: str = "",
    billing_address: str = "",
    actor: Any = None,
) -> Invoice:
    """A draft invoice with one line per (description, amount in USD)."""
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
        billing_emails=billing_emails(organization),
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
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status != Invoice.Status.DRAFT:
        return invoice
    ensure_transition(invoice.status, Invoice.Status.OPEN, Invoice.ALLOWED_TRANSITIONS)
    today = timezone.localdate()
    invoice.number = _next_number(today.year)
    invoice.status = Invoice.Status.OPEN
    invoice.issue_date = today
    invoice.due_date = today + PAYMENT_TERMS
    invoice.save(update_fields=["number", "status", "issue_date", "due_date"])
    audit.record(invoice, actor=actor, action="invoice.issue",
                 old={"status": Invoice.Status.DRAFT},
                 new={"status": invoice.status, "number": invoice.number})
    if stripe_api.enabled():
        from .tasks import push_invoice_to_stripe

        push_invoice_to_stripe.delay_on_commit(invoice.pk)
    else:
        _send_issued(invoice)
    return invoice


@transaction.atomic
def invoice_stripe_synced(*, invoice_id: int, stripe_invoice_id: str, hosted_url: str) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    invoice.stripe_invoice_id = stripe_invoice_id
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
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    invoice.sync_error = error[:2000]
    invoice.save(update_fields=["sync_error"])
    if invoice.is_payable and not invoice.hosted_invoice_url:
        _send_issued(invoice)


@transaction.atomic
def invoice_push_again(*, invoice_id: int, actor: Any) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if not (invoice.is_payable and invoice.sync_error and stripe_api.enabled()):
        raise DomainError(f"{invoice} has no failed Stripe sync to retry.")
    audit.record(invoice, actor=actor, action="invoice.push_again", note=invoice.sync_error)
    from .tasks import push_invoice_to_stripe

    push_invoice_to_stripe.delay_on_commit(invoice.pk)
    return invoice


def invoice_url(invoice: Invoice) -> str:
    path = reverse("invoice_detail", kwargs={"slug": invoice.organization.slug,
                                             "invoice_id": invoice.pk})
    return f"{settings.SITE_URL}{path}"


def _mail_contacts(invoice: Invoice, kind: str, occurrence: str = "", **context: Any) -> None:
    for email in invoice.billing_emails:
        emails.queue(
            kind=kind, obj=invoice, to=email, occurrence=occurrence,
            template=f"billing/emails/{kind}",
            context={"invoice": invoice, "url": invoice_url(invoice),
                     "bank_transfer": settings.BANK_TRANSFER_INSTRUCTIONS, **context},
        )


def _send_issued(invoice: Invoice, occurrence: str = "") -> None:
    _mail_contacts(invoice, "invoice_issued", occurrence)


@transaction.atomic
def invoice_mark_paid(
    *,
    invoice_id: int,
    method: str,
    amount: Decimal | None = None,
    received_at: datetime | None = None,
    stripe_id: str | None = None,
    reference: str = "",
    actor: Any = None,
) -> Invoice:
    """Record the payment once and tell what the invoice pays for. Paying a paid invoice
    again changes nothing."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status == Invoice.Status.PAID:
        earlier = Payment.objects.get(invoice=invoice)
        if stripe_id and amount and earlier.stripe_id != stripe_id:
            raise DomainError(f"{invoice} was paid already ({earlier.get_method_display()}, "
                              f"{earlier.reference or earlier.stripe_id}); this second "
                              f"payment {stripe_id} of {amount} needs a refund.")
        return invoice
    if invoice.status == Invoice.Status.VOID and amount:
        raise DomainError(f"{invoice} is void; the payment of {amount} needs a refund.")
    ensure_transition(invoice.status, Invoice.Status.PAID, Invoice.ALLOWED_TRANSITIONS)
    old = invoice.status
    payment = Payment.objects.create(
        invoice=invoice,
        method=method,
        amount=invoice.total if amount is None else amount,
        stripe_id=stripe_id,
        reference=reference,
        received_at=received_at or timezone.now(),
    )
    invoice.status = Invoice.Status.PAID
    invoice.paid_at = payment.received_at
    invoice.save(update_fields=["status", "paid_at"])
    note = f"{payment.get_method_display()}" + (f", reference {reference}" if reference else "")
    if payment.amount != invoice.total:
        note += f"; received {payment.amount} of {invoice.total}"
    audit.record(invoice, actor=actor, action="invoice.paid", old={"status": old},
                 new={"status": invoice.status, "amount": str(payment.amount)}, note=note)
    _tell_stripe(invoice, from_stripe=method == Payment.Method.STRIPE)
    if invoice.subject_type_id:
        subject = invoice.subject
        invoice_paid.send(sender=type(subject), invoice=invoice, subject=subject)
    _mail_contacts(invoice, "payment_received", payment=payment)
    return invoice


def _change_status(invoice_id: int, new: str, action: str, actor: Any, note: str) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status == new:
        return invoice
    ensure_transition(invoice.status, new, Invoice.ALLOWED_TRANSITIONS)
    old = invoice.status
    invoice.status = new
    invoice.save(update_fields=["status"])
    audit.record(invoice, actor=actor, action=action, old={"status": old},
                 new={"status": new}, note=note)
    return invoice


def _tell_stripe(invoice: Invoice, from_stripe: bool) -> None:
    """A change made here (void, paid by wire) is mirrored on the Stripe invoice."""
    if invoice.stripe_invoice_id and not from_stripe:
        from .tasks import push_status_to_stripe

        push_status_to_stripe.delay_on_commit(invoice.pk)


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
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
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
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
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
