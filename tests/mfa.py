"""A second factor for test staff, made and answered through allauth.mfa's own API."""

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

# Any base32 secret works; a fixed one lets a test compute the code an app would show.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def activate_totp(user, secret: str = TOTP_SECRET) -> TOTP:
    return TOTP.activate(user, secret)


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The code an authenticator app shows now. Near the end of its period this waits for the
    next one, so the code is still current when the server checks it."""
    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 2:
        time.sleep(left)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))
