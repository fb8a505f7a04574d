import hashlib
from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from foundation import emails
from foundation.http import client_ip


class AccountAdapter(DefaultAccountAdapter):
    """Sends allauth's messages (verification, password reset) through our e-mail queue, so
    they are stored, sent after commit and never sent twice."""

    def send_mail(self, template_prefix, email, context):
        """allauth's templates greet from `current_site`; without django.contrib.sites that is
        the request's host, so it comes from our settings instead, in every message."""
        site = SimpleNamespace(name=settings.FOUNDATION_NAME,
                               domain=urlsplit(settings.SITE_URL).netloc)
        context = {"request": self.request, "email": email, "current_site": site, **context}
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        if not html:  # allauth's messages are text only: lay the text out in our HTML frame
            html = render_to_string("foundation/emails/from_text.html",
                                    {"text": escape(message.body)})
        digest = hashlib.sha256(message.body.encode()).hexdigest()[:24]
        kind = template_prefix.rsplit("/", 1)[-1]
        emails.queue_rendered(
            # The same message once a day at most: a notice whose text never changes ("you
            # already have an account") is still sent again on a later day.
            key=f"allauth:{kind}:{email.lower()}:{digest}:{timezone.localdate()}"[:255],
            kind=kind,
            to=email,
            subject=message.subject,
            text=message.body,
            html=html,
        )

    def get_client_ip(self, request):
        """Rate limits count the visitor, by the rule that records a signatory's address:
        behind our proxy every visitor would otherwise share the proxy's address, and one
        person's failed logins would lock everyone out."""
        return client_ip(request) or super().get_client_ip(request)
