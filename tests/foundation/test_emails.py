from smtplib import SMTPException

import pytest
from django.core import mail

from foundation import emails
from foundation.accounts.models import Invitation
from foundation.accounts.services import invitation_create
from foundation.models import OutboundEmail
from foundation.tasks import MAX_EMAIL_ATTEMPTS, send_email
from tests.accounts.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(django_capture_on_commit_callbacks):
    org, admin = OrganizationFactory.with_admin()
    with django_capture_on_commit_callbacks(execute=True):
        return invitation_create(organization=org, email="a@example.com", roles=["technical"],
                                 actor=admin)


def test_message_is_stored_under_its_key_and_sent_after_commit(invitation):
    message = OutboundEmail.objects.get()
    assert message.key == f"invitation:accounts.invitation:{invitation.pk}:a@example.com"
    assert message.status == OutboundEmail.Status.SENT
    assert message.body_html and message.body_text
    assert len(mail.outbox) == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    org, admin = OrganizationFactory.with_admin()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation_create(organization=org, email="b@example.com", roles=["technical"],
                          actor=admin)
    assert len(callbacks) == 1  # the send waits for the commit
    assert mail.outbox == []


def test_running_the_task_twice_sends_once(invitation):
    message = OutboundEmail.objects.get()
    send_email.apply(args=[message.pk])
    send_email.apply(args=[message.pk])
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


def test_queueing_the_same_message_twice_stores_one(invitation):
    again = emails.queue(
        kind="invitation", obj=invitation, to="A@example.com",
        template="accounts/emails/invitation",
        context={"invitation": invitation, "organization": invitation.organization,
                 "inviter": invitation.invited_by, "url": "x", "expires_at": None},
    )
    assert again is None
    assert OutboundEmail.objects.count() == 1


def test_smtp_failure_is_retried_then_marked_failed(monkeypatch, settings):
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    message = OutboundEmail.objects.create(
        key="test:1", kind="test", to="c@example.com", subject="s", body_text="b"
    )
    calls = []

    def refuse(self, *args, **kwargs):
        calls.append(1)
        raise SMTPException("mail server said no")

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", refuse)
    send_email.apply(args=[message.pk])
    message.refresh_from_db()
    assert len(calls) == MAX_EMAIL_ATTEMPTS
    assert message.attempts == MAX_EMAIL_ATTEMPTS  # each counted, though each send rolled back
    assert message.status == OutboundEmail.Status.FAILED
    assert "mail server said no" in message.last_error
    assert Invitation.objects.count() == 0
