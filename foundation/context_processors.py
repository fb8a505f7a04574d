from django.conf import settings


def branding(request):
    """The foundation's name for every template, so no page hard-codes it."""
    return {
        "FOUNDATION_NAME": settings.FOUNDATION_NAME,
        "FOUNDATION_SHORT_NAME": settings.FOUNDATION_SHORT_NAME,
    }
