"""Demo log-ins that `seed_demo` creates and `make run` prints."""

import time

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

from foundation.accounts.models import User

STAFF_EMAIL = "staff@example.org"
STAFF_PASSWORD = "demo-staff-password"
# The admin asks staff for a second factor: the demo staff's authenticator app uses this key,
# published like the password so anyone trying the demo can add it to an app.
STAFF_TOTP_SECRET = "DEMOSTAFFPORTAL234567DEMOSTAFF23"
MEMBER_EMAIL = "member@example.org"
MEMBER_PASSWORD = "demo-member-password"


def ensure_user(email: str, password: str, *, staff: bool = False) -> User:
    """A verified account; an existing one is left as it is."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=password, is_staff=staff, is_superuser=staff
        )
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def ensure_totp(user: User, secret: str) -> None:
    """An authenticator app for `user` unless they have one already (perhaps their own)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)


def staff_totp_url(user: User) -> str:
    """The otpauth:// address that authenticator apps and password managers import."""
    return get_mfa_adapter().build_totp_url(user, STAFF_TOTP_SECRET)


def staff_totp_code() -> str:
    """The code an app holding the demo staff's key shows now."""
    return format_hotp_value(hotp_value(STAFF_TOTP_SECRET,
                                        int(time.time()) // mfa_settings.TOTP_PERIOD))


def seed() -> dict[str, User]:
    staff = ensure_user(STAFF_EMAIL, STAFF_PASSWORD, staff=True)
    ensure_totp(staff, STAFF_TOTP_SECRET)
    return {
        "staff": staff,
        "member": ensure_user(MEMBER_EMAIL, MEMBER_PASSWORD),
    }
