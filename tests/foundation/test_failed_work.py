"""E-mails that fail are seen: attempts survive rollbacks, the budget is the message's, and
messages that carry a login link are not kept."""

from smtplib import SMTPException

import pytest
from django.core import mail

from foundation import emails
from foundation.models import AuditEntry, OutboundEmail
from foundation.tasks import MAX_EMAIL_ATTEMPTS, send_email
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_retry_budget_is_the_message_s_not_the_task_s(monkeypatch, settings):
    """A message re-enqueued by the sweeper does not start a fresh budget."""
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    message = OutboundEmail.objects.create(key="t:1", kind="t", to="a@example.com",
                                           subject="s", body_text="b",
                                           attempts=MAX_EMAIL_ATTEMPTS - 1)
    calls = []

    def refuse(self, *args, **kwargs):
        calls.append(1)
        raise SMTPException("no")

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", refuse)
    send_email.apply(args=[message.pk])
    message.refresh_from_db()
    assert calls == [1] and message.status == OutboundEmail.Status.FAILED
    assert message.attempts == MAX_EMAIL_ATTEMPTS


def test_staff_send_a_failed_message_again_through_the_service(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    message = OutboundEmail.objects.create(key="t:2", kind="t", to="b@example.com",
                                           subject="Hello", body_text="b",
                                           status=OutboundEmail.Status.FAILED, attempts=6,
                                           last_error="SMTPException('no')")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/foundation/outboundemail/", {
            "action": "send_again", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert message.status == OutboundEmail.Status.SENT and message.attempts == 1
    entry = AuditEntry.objects.get(action="email.send_again")
    assert entry.actor == admin_user and entry.old_value == {"status": "failed"}


def test_a_password_reset_link_is_not_kept_once_sent(client, admin_client,
                                                     django_capture_on_commit_callbacks):
    UserFactory(email="ada@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "ada@example.com"})
    sent = [m for m in mail.outbox if m.to == ["ada@example.com"]]
    assert sent and "/accounts/password/reset/key/" in sent[0].body
    stored = OutboundEmail.objects.get(to="ada@example.com")
    assert stored.kind in emails.SECRET_KINDS
    assert "/reset/key/" not in stored.body_text + stored.body_html
    page = admin_client.get(f"/admin/foundation/outboundemail/{stored.pk}/change/")
    assert "/reset/key/" not in page.content.decode()


def test_a_queued_secret_message_shows_no_body_in_the_admin(admin_client):
    message = OutboundEmail.objects.create(key="t:3", kind="password_reset_key",
                                           to="c@example.com", subject="Reset",
                                           body_text="https://portal/reset/key/SECRET/")
    page = admin_client.get(f"/admin/foundation/outboundemail/{message.pk}/change/")
    assert "SECRET" not in page.content.decode()
