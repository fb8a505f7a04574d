"""The foundation's identity for templates rendered without a request: e-mails."""

from django import template
from django.conf import settings
from django.templatetags.static import static

from foundation import brand

register = template.Library()


@register.simple_tag
def email_identity() -> dict[str, str]:
    """Name, logo, colours and address for the e-mail frame. A mail client fetches the logo
    from the portal, so its URL is absolute; buttons use the brand's shade that carries white
    text at AA, the colour itself only the bar above the header."""
    logo = static(settings.FOUNDATION_LOGO) if settings.FOUNDATION_LOGO else ""
    if logo.startswith("/"):
        logo = settings.SITE_URL + logo
    light, _ = brand.palette(settings.FOUNDATION_COLOR)
    return {
        "name": settings.FOUNDATION_NAME,
        "logo_url": logo,
        "color": light["brand"],
        "action": light["action"],
        "site_url": settings.SITE_URL,
    }
