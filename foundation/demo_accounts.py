"""Demo log-ins that `seed_demo` creates and `make run` prints."""

from allauth.account.models import EmailAddress

from members.models import User

STAFF_EMAIL = "staff@example.org"
STAFF_PASSWORD = "demo-staff-password"
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


def seed() -> dict[str, User]:
    return {
        "staff": ensure_user(STAFF_EMAIL, STAFF_PASSWORD, staff=True),
        "member": ensure_user(MEMBER_EMAIL, MEMBER_PASSWORD),
    }
