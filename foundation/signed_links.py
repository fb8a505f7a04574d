"""Links e-mailed to a person that carry a row's id, signed so nobody can forge one."""

import zlib
from datetime import timedelta

from django.core import signing

from .http import whole_number
from .transitions import DomainError

NOT_VALID = "This invitation link is not valid."


def signed_id(token: str, *, salt: str, max_age: int | timedelta) -> int:
    """The id a link carries; DomainError, in words for the person following it, for a link
    that is expired, forged, or signed but holding anything other than an id."""
    try:
        pk = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise DomainError("This invitation has expired. Ask for a new one.") from exc
    except signing.BadSignature as exc:
        raise DomainError(NOT_VALID) from exc
    except (ValueError, zlib.error) as exc:  # signed, but not base64, zlib or JSON inside
        raise DomainError(NOT_VALID) from exc
    if type(pk) is not int or whole_number(pk) is None:
        raise DomainError(NOT_VALID)
    return pk
