from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from . import emails
from .models import OutboundEmail

MAX_EMAIL_RETRIES = 5


@shared_task(
    bind=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=MAX_EMAIL_RETRIES,
)
def send_email(self, email_id: int) -> None:
    try:
        emails.deliver(email_id=email_id)
    except Exception as exc:
        if self.request.retries >= MAX_EMAIL_RETRIES or not isinstance(
            exc, (SMTPException, ConnectionError, TimeoutError)
        ):
            emails.mark_failed(email_id=email_id, error=repr(exc))
        raise


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
