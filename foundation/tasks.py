import logging
from datetime import timedelta
from importlib import import_module
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import emails, outbox, retries
from .models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 6
TRANSIENT = (SMTPException, ConnectionError, TimeoutError)
DONE = {OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED}


@shared_task(
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=MAX_EMAIL_ATTEMPTS,
)
def send_email(self, email_id: int) -> None:
    """Send one stored message. Its row counts the attempts, so the budget is the message's
    (MAX_EMAIL_ATTEMPTS in all), however often the task is enqueued again."""
    final = retries.is_last(OutboundEmail, email_id, budget=MAX_EMAIL_ATTEMPTS)
    try:
        emails.deliver(email_id=email_id)
    except TRANSIENT as exc:
        retries.note_failure(OutboundEmail, email_id, repr(exc), done=DONE,
                             failed=OutboundEmail.Status.FAILED, final=final)
        if not final:
            raise
    except Exception as exc:  # not a passing fault: staff see it; retrying will not help
        logger.exception("E-mail %s failed", email_id)
        retries.note_failure(OutboundEmail, email_id, repr(exc), done=DONE,
                             failed=OutboundEmail.Status.FAILED, final=True)


@shared_task
def retry_unsent_emails() -> int:
    """Re-enqueue messages still queued a while after they were stored (a lost task)."""
    stale = timezone.now() - timedelta(minutes=10)
    ids = list(
        OutboundEmail.objects.filter(
            status=OutboundEmail.Status.QUEUED, created_at__lte=stale
        ).values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        send_email.delay(pk)
    return len(ids)


@shared_task
def sweep_outbox() -> int:
    """Beat: send again the outbox's tasks that never reached the broker or that it lost."""
    return outbox.sweep()


@shared_task
def clear_expired_sessions() -> None:
    """Beat, daily: sessions are kept in the database (cached_db), which holds on to expired
    ones until they are cleared."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
