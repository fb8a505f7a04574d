"""Outgoing e-mail. `queue` renders a message from templates/<app>/emails/<name>.{txt,html,
subject.txt}, stores it once under its unique key and sends it from a task after commit."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import Context, Engine
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from . import audit, outbox
from .models import OutboundEmail

# allauth's messages that carry a login secret (a reset or confirmation link): their body is
# kept only until sent, so nobody reading the outbox in the admin can use the link.
SECRET_KINDS = {"password_reset_key", "password_reset_code", "email_confirmation",
                "email_confirmation_signup", "email_confirm", "login_code"}
SECRET_REMOVED = "(Removed once sent: this message carried a login link.)"

# An attachment is stored as {"kind": ..., plus the ids it needs} and made into a file
# (filename, content, MIME type) when the message is sent, so the outbox holds no file and
# the file shows the object as it is then. Apps register their kinds from AppConfig.ready.
Attachment = tuple[str, bytes, str]
_attachment_makers: dict[str, Callable[[dict[str, Any]], Attachment]] = {}


def register_attachment(kind: str, make: Callable[[dict[str, Any]], Attachment]) -> None:
    _attachment_makers[kind] = make


def email_key(kind: str, obj: Any, recipient: str, occurrence: str = "") -> str:
    """(kind, object, recipient), plus `occurrence` for a message that may recur (a
    reminder per due date, a notice per payment attempt)."""
    ident = f"{obj._meta.label_lower}:{obj.pk}" if hasattr(obj, "_meta") else str(obj)
    key = f"{kind}:{ident}:{recipient.lower()}"
    return (f"{key}:{occurrence}" if occurrence else key)[:255]


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text and HTML bodies of `template` (e.g. "accounts/emails/invitation")."""
    context = {
        "FOUNDATION_NAME": settings.FOUNDATION_NAME,
        "SITE_URL": settings.SITE_URL,
        **context,
    }
    subject = " ".join(_render_plain(f"{template}.subject.txt", context).split())
    text = _render_plain(f"{template}.txt", context)
    try:
        html = render_to_string(f"{template}.html", context)
    except TemplateDoesNotExist:  # most messages are their text, laid out in our HTML frame
        html = render_to_string("foundation/emails/from_text.html",
                                {**context, "text": escape(text)})
    return subject, text, html


def _render_plain(template_name: str, context: dict[str, Any]) -> str:
    """A subject or text part is not HTML, so nothing in it is escaped: "AT&T", not
    "AT&amp;T". The engine still marks the result safe, hence `escape` (not
    `conditional_escape`) wherever it goes into HTML."""
    plain = Context(context, autoescape=False)
    return Engine.get_default().get_template(template_name).render(plain)


def queue(
    *, kind: str, obj: Any, to: str, template: str, context: dict[str, Any],
    occurrence: str = "", attachments: list[dict[str, Any]] | None = None,
) -> OutboundEmail | None:
    """Store the message under (kind, object, recipient) and send it after commit.
    A second call with the same key returns None: the message exists already."""
    key = email_key(kind, obj, to, occurrence)
    if OutboundEmail.objects.filter(key=key).exists():
        return None
    subject, text, html = render(template, context)
    return queue_rendered(key=key, kind=kind, to=to, subject=subject, text=text, html=html,
                          attachments=attachments)


def queue_rendered(
    *, key: str, kind: str, to: str, subject: str, text: str, html: str = "",
    attachments: list[dict[str, Any]] | None = None,
) -> OutboundEmail | None:
    from .tasks import send_email

    attachments = attachments or []
    unknown = {spec["kind"] for spec in attachments} - _attachment_makers.keys()
    if unknown:  # fail in the caller, not later in a worker that cannot send the message
        raise ValueError(f"No attachment kind registered as {', '.join(sorted(unknown))}.")
    try:
        with transaction.atomic():
            message = OutboundEmail.objects.create(
                key=key, kind=kind, to=to, subject=subject, body_text=text, body_html=html,
                attachments=attachments,
            )
    except IntegrityError:
        return None
    outbox.enqueue(send_email, message.pk)
    return message


@transaction.atomic
def deliver(*, email_id: int) -> bool:
    """Send one stored message unless it was sent already. Holds the row lock while sending,
    so two workers with the same message cannot both send it."""
    message = OutboundEmail.objects.select_for_update().get(pk=email_id)
    if message.status in {OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED}:
        return False
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    for spec in message.attachments:
        mail.attach(*_attachment_makers[spec["kind"]](spec))
    mail.send()
    message.status = OutboundEmail.Status.SENT
    message.sent_at = timezone.now()
    message.attempts += 1
    message.last_error = ""
    if message.kind in SECRET_KINDS:
        message.body_text = message.body_html = SECRET_REMOVED
    message.save(update_fields=["status", "sent_at", "attempts", "last_error", "body_text",
                                "body_html"])
    return True


@transaction.atomic
def send_again(*, email_id: int, actor: Any) -> bool:
    """Staff send a failed or stuck message again, with a fresh set of attempts."""
    from .tasks import send_email

    message = OutboundEmail.objects.select_for_update().get(pk=email_id)
    if message.status == OutboundEmail.Status.SENT:
        return False
    old = message.status
    message.status = OutboundEmail.Status.QUEUED
    message.attempts = 0
    message.save(update_fields=["status", "attempts"])
    audit.record(message, actor=actor, action="email.send_again", old={"status": old},
                 new={"status": message.status}, note=message.last_error)
    outbox.enqueue(send_email, message.pk)
    return True


def staff_emails() -> list[str]:
    """Who hears about work for staff: STAFF_EMAILS, or else every active staff account."""
    if settings.STAFF_EMAILS:
        return list(settings.STAFF_EMAILS)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_staff=True, is_active=True)
    return sorted(users.values_list("email", flat=True))
