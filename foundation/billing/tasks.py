from celery import shared_task
from django.conf import settings

from . import events, services, stripe_api, stripe_sync

MAX_STRIPE_RETRIES = 6
# Stripe unreachable: retried after about STRIPE_RETRY_BACKOFF seconds, doubling up to
# STRIPE_RETRY_BACKOFF_MAX (with jitter), then shown to staff on the invoice.
STRIPE_RETRY = {"autoretry_for": stripe_api.RETRYABLE_ERRORS,
                "retry_backoff": settings.STRIPE_RETRY_BACKOFF,
                "retry_backoff_max": settings.STRIPE_RETRY_BACKOFF_MAX,
                "max_retries": MAX_STRIPE_RETRIES}


def _mirror(task, push, failed, invoice_id: int) -> None:
    """Run a Stripe call; after its last retry, or on an error a retry will not fix, record
    the failure on the invoice for staff."""
    try:
        push(invoice_id)
    except Exception as exc:
        if task.request.retries >= MAX_STRIPE_RETRIES or not isinstance(
            exc, stripe_api.RETRYABLE_ERRORS
        ):
            failed(invoice_id=invoice_id, error=repr(exc))
        raise


@shared_task(bind=True, **STRIPE_RETRY)
def push_invoice_to_stripe(self, invoice_id: int) -> None:
    _mirror(self, stripe_sync.push_invoice, services.invoice_sync_failed, invoice_id)


@shared_task(bind=True, **STRIPE_RETRY)
def push_status_to_stripe(self, invoice_id: int) -> None:
    _mirror(self, stripe_sync.push_status, services.invoice_status_push_failed, invoice_id)


@shared_task(bind=True, autoretry_for=events.TRANSIENT, retry_backoff=15,
             retry_backoff_max=900, max_retries=events.MAX_ATTEMPTS - 1)
def process_stripe_event(self, event_id: int) -> str:
    last_try = self.request.retries >= events.MAX_ATTEMPTS - 1
    return events.process(event_id=event_id, last_try=last_try)


@shared_task
def retry_waiting_stripe_events() -> int:
    """Beat: pick up events whose task was lost (a worker died before it ran)."""
    ids = events.waiting_ids()
    for pk in ids:
        process_stripe_event.delay(pk)
    return len(ids)


@shared_task
def send_overdue_notices() -> int:
    return services.send_overdue_notices()
