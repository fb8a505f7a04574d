"""Facts about a request that several parts of the portal read the same way."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The visitor's address: behind our proxy (TRUST_X_FORWARDED_FOR), the first one it
    forwards; otherwise the connection's. Signatures and login limits use it."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.TRUST_X_FORWARDED_FOR and forwarded:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")
