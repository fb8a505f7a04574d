from django.conf import settings


def branding(request):
    """The foundation's identity for every template, so no page hard-codes it."""
    return {
        "FOUNDATION_NAME": settings.FOUNDATION_NAME,
        "FOUNDATION_SHORT_NAME": settings.FOUNDATION_SHORT_NAME,
        "FOUNDATION_LOGO": settings.FOUNDATION_LOGO,
        "FOUNDATION_COLOR": settings.FOUNDATION_COLOR,
        "FOUNDATION_STYLE": settings.FOUNDATION_STYLE,
    }
