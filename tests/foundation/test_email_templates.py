"""Every e-mail template, rendered with names full of HTML's special characters: the subject
and text part show them as typed, the HTML part escapes them once."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from foundation import emails

NASTY = "AT&T <Labs> \"Quote\" 'x'"
ENTITIES = ["&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;"]
TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
TEMPLATES = sorted(
    str(path.relative_to(TEMPLATES_DIR)).removesuffix(".txt")
    for path in TEMPLATES_DIR.glob("**/emails/*.txt")
    if not path.name.endswith(".subject.txt")
)
# The names the templates use; a template using another fails below with MISSING(name).
CONTEXT_NAMES = [
    "actor", "application", "bank_transfer", "check", "event", "expires_at", "expires_days",
    "invitation",
    "invoice", "inviter", "membership", "organization", "payment", "reason", "renewal", "tier",
    "url",
    # credits
    "admin_url", "contribution", "days_late", "invoices", "item", "lines", "pledge",
    "sponsor_year", "standing", "year",
    # the credit pool
    "allocation", "amount", "covered", "days", "link_days", "lot", "provider", "record",
    "requester", "requests", "sponsor", "support",
    # projects
    "approved", "closes", "decision", "eligible", "feedback", "member", "needed", "passed",
    "project", "reapply_on", "request", "requested_by", "resubmitted", "vote",
]

DATE_PARTS = {"year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo"}


class Anything(str):
    """NASTY, and every attribute of it is NASTY again: one value fills any template
    (`invoice.number`, `application.organization.legal_name`, `get_status_display`)."""

    def __new__(cls):
        return super().__new__(cls, NASTY)

    def __iter__(self):
        """A list of one (`{% for r in requests %}`), its item filled the same way."""
        return iter([Anything()])

    def __getattr__(self, name):
        # Not __html__ and the like, nor a date's parts: the |date filter then prints nothing.
        if name.startswith("_") or name in DATE_PARTS:
            raise AttributeError(name)
        return self


@pytest.fixture(autouse=True)
def _strict_names(settings):
    """A variable the context lacks shows up as MISSING(name) instead of vanishing."""
    settings.FOUNDATION_NAME = NASTY
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {
        **settings.TEMPLATES[0]["OPTIONS"], "string_if_invalid": "MISSING(%s)"}}]


def test_every_message_is_found():
    assert len(TEMPLATES) >= 15
    assert "accounts/emails/invitation" in TEMPLATES
    assert "billing/emails/invoice_issued" in TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES)
def test_names_are_plain_in_text_and_escaped_once_in_html(template):
    subject, text, html = emails.render(template, {name: Anything() for name in CONTEXT_NAMES})

    for part in (subject, text, html):
        assert "MISSING(" not in part, part
    assert NASTY in text, text  # a subject may name nobody ("2 support requests past ...")
    for part in (subject, text):
        for entity in ENTITIES:
            assert entity not in part, (entity, part)
    assert "AT&amp;T &lt;Labs&gt;" in html
    assert "<Labs>" not in html
    assert "&amp;amp;" not in html


@pytest.mark.django_db
def test_allauth_messages_show_an_apostrophe_as_typed(client, django_capture_on_commit_callbacks):
    """allauth renders its own templates; ours override none of them, and its text parts turn
    autoescaping off. An address like o'brien@ must reach the reader unescaped."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", {"email": "o'brien@example.com",
                                          "password1": "a long pass phrase 42",
                                          "password2": "a long pass phrase 42"})
    [message] = mail.outbox
    assert message.to == ["o'brien@example.com"]
    assert "o'brien@example.com" in message.body
    assert "&#x27;" not in message.body + message.subject
