import hashlib

from allauth.account.adapter import DefaultAccountAdapter

from foundation import emails


class AccountAdapter(DefaultAccountAdapter):
    """Sends allauth's messages (verification, password reset) through our e-mail queue, so
    they are stored, sent after commit and never sent twice."""

    def send_mail(self, template_prefix, email, context):
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        digest = hashlib.sha256(message.body.encode()).hexdigest()[:24]
        kind = template_prefix.rsplit("/", 1)[-1]
        emails.queue_rendered(
            key=f"allauth:{kind}:{email.lower()}:{digest}"[:255],
            kind=kind,
            to=email,
            subject=message.subject,
            text=message.body,
            html=html,
        )
