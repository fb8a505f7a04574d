"""Facts about a request that several parts of the portal read the same way."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The visitor's address: behind our proxy (TRUST_X_FORWARDED_FOR), the first one it
    forwards; otherwise the connection's. Signatures and login limits use it."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.TRUST_X_FORWARDED_FOR and forwarded:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


def whole_number(value: object, maximum: int = 2**31 - 1) -> int | None:
    """A number a visitor or a webhook sent, or None: ASCII digits only ("¹" and "٣" pass
    str.isdigit but are no page number or id) and no larger than a database integer."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None
