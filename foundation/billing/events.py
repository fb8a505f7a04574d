"""Stripe events: stored once when the webhook receives them, processed by a task after
commit. Processing locks the event row, so a duplicate or concurrent delivery changes
nothing, and each handler goes through the invoice services, which ignore a repeat."""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from foundation import audit, emails, outbox, retries
from foundation.http import whole_number
from foundation.transitions import DomainError

from . import services, stripe_api
from .models import Invoice, Payment, StripeEvent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
DONE = {StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED}


class InvoiceNotYetKnown(Exception):
    """The event names an invoice we have not stored (yet): retried, then failed."""


TRANSIENT = (InvoiceNotYetKnown, OperationalError, InterfaceError)


def record(payload: dict[str, Any]) -> tuple[StripeEvent, bool]:
    """Store a verified event once; schedule its processing after commit."""
    from .tasks import process_stripe_event

    try:
        with transaction.atomic():
            event, created = StripeEvent.objects.get_or_create(
                stripe_id=payload["id"], defaults={"type": payload["type"], "payload": payload}
            )
            if created:
                outbox.enqueue(process_stripe_event, event.pk)
    except IntegrityError:
        return StripeEvent.objects.get(stripe_id=payload["id"]), False
    return event, created


def _invoice_for(obj: dict[str, Any]) -> Invoice | None:
    """Our invoice by its Stripe id, or by the id we put in its metadata when Stripe's event
    outran our own record of the Stripe id."""
    if not obj.get("id"):
        return None
    invoice = Invoice.objects.filter(stripe_invoice_id=obj["id"]).first()
    if invoice:
        return invoice
    portal_id = whole_number((obj.get("metadata") or {}).get("portal_invoice_id"))
    if portal_id is None:
        return None
    invoice = Invoice.objects.filter(pk=portal_id, stripe_invoice_id__isnull=True).first()
    if invoice:
        invoice = services.invoice_stripe_linked(invoice_id=invoice.pk, stripe_invoice_id=obj["id"])
    return invoice


def _timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _finalized(invoice: Invoice, obj: dict, event: StripeEvent) -> None:
    if invoice.is_payable and not invoice.hosted_invoice_url:
        services.invoice_stripe_synced(invoice_id=invoice.pk, stripe_invoice_id=obj["id"],
                                       hosted_url=obj.get("hosted_invoice_url") or "")


def _paid(invoice: Invoice, obj: dict, event: StripeEvent) -> None:
    """Money received through Stripe. Paid out of band (nothing received through Stripe) is
    the mirror of a payment recorded here, or else staff's to record: never money."""
    amount = stripe_api.from_cents(obj.get("amount_paid") or 0)
    if amount <= 0:
        if invoice.status == Invoice.Status.PAID:
            return
        raise DomainError(f"Stripe reports {invoice} paid with nothing received through "
                          "Stripe (paid out of band): record the money received, if any.")
    payments = (obj.get("payments") or {}).get("data") or []
    stripe_id = (payments[0].get("id") if payments else None) or obj["id"]
    paid_at = (obj.get("status_transitions") or {}).get("paid_at") or event.payload.get("created")
    services.payment_record(
        invoice_id=invoice.pk,
        method=Payment.Method.STRIPE,
        amount=amount,
        currency=str(obj.get("currency") or "usd"),
        received_at=_timestamp(paid_at),
        stripe_id=stripe_id,
    )


def _payment_failed(invoice: Invoice, obj: dict, event: StripeEvent) -> None:
    services.invoice_payment_failed(invoice_id=invoice.pk, attempt=event.stripe_id,
                                    reason=f"attempt {obj.get('attempt_count') or 1}")


def _voided(invoice: Invoice, obj: dict, event: StripeEvent) -> None:
    services.invoice_void(invoice_id=invoice.pk, note="Voided in Stripe", from_stripe=True)


def _uncollectible(invoice: Invoice, obj: dict, event: StripeEvent) -> None:
    services.invoice_mark_uncollectible(invoice_id=invoice.pk, from_stripe=True,
                                        note="Marked uncollectible in Stripe")


HANDLERS = {
    "invoice.finalized": _finalized,
    "invoice.paid": _paid,
    "invoice.payment_failed": _payment_failed,
    "invoice.voided": _voided,
    "invoice.marked_uncollectible": _uncollectible,
}


def _finish(event: StripeEvent, status: str) -> str:
    event.status = status
    event.attempts += 1
    event.last_error = ""
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "attempts", "last_error", "processed_at"])
    return status


def _failed(event_id: int, error: str, *, final: bool) -> str:
    """Keep the error; only the last attempt marks the event failed and tells staff."""
    if retries.note_failure(StripeEvent, event_id, error, done=DONE,
                            failed=StripeEvent.Status.FAILED, final=final):
        with transaction.atomic():
            _tell_staff(StripeEvent.objects.get(pk=event_id))
    return StripeEvent.Status.FAILED if final else StripeEvent.Status.PENDING


def _tell_staff(event: StripeEvent) -> None:
    """A failed event is money staff must look at (an unknown invoice, a refund due)."""
    for address in emails.staff_emails():
        emails.queue(kind="stripe_event_failed", obj=event, to=address,
                     occurrence=str(event.attempts), template="billing/emails/stripe_event_failed",
                     context={"event": event})


def process(*, event_id: int, last_try: bool = False) -> str:
    """Apply one event. Returns its status; raises a passing fault (an invoice not stored
    yet, a database hiccup) to be retried until the event's attempts run out."""
    final = last_try or retries.is_last(StripeEvent, event_id, budget=MAX_ATTEMPTS)
    try:
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().get(pk=event_id)
            if event.status in {*DONE, StripeEvent.Status.FAILED}:
                return event.status
            handler = HANDLERS.get(event.type)
            if handler is None:
                return _finish(event, StripeEvent.Status.IGNORED)
            obj = event.payload["data"]["object"]
            invoice = _invoice_for(obj)
            if invoice is None:
                raise InvoiceNotYetKnown(f"No invoice of ours matches {obj.get('id')}.")
            handler(invoice, obj, event)
            return _finish(event, StripeEvent.Status.PROCESSED)
    except TRANSIENT as exc:
        status = _failed(event_id, str(exc), final=final)
        if final:
            return status
        raise
    except DomainError as exc:
        return _failed(event_id, str(exc), final=True)
    except Exception as exc:
        logger.exception("Stripe event %s failed", event_id)
        return _failed(event_id, repr(exc), final=True)


def process_again(*, event_id: int, actor: Any) -> str:
    """Staff's "process again": a failed event gets a fresh attempt, now. Audited with how
    it went."""
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event_id)
        if event.status in DONE:
            return event.status
        old, error = event.status, event.last_error
        event.status = StripeEvent.Status.PENDING
        event.attempts = 0
        event.save(update_fields=["status", "attempts"])
    status = process(event_id=event_id, last_try=True)
    with transaction.atomic():
        audit.record(event, actor=actor, action="stripe_event.process_again",
                     old={"status": old}, new={"status": status}, note=error)
    return status


def waiting_ids() -> list[int]:
    stale = timezone.now() - timedelta(minutes=5)
    return list(
        StripeEvent.objects.filter(
            status=StripeEvent.Status.PENDING, received_at__lte=stale, attempts__lt=MAX_ATTEMPTS
        ).values_list("pk", flat=True)[:500]
    )
