from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField

from foundation.uploads import public_storage


class AccountManager(UserManager):
    """Users are known by e-mail; there are no usernames."""

    def _create_user(self, email, password, **extra_fields):  # type: ignore[override]
        email = self.normalize_email(email)
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None  # type: ignore[assignment,misc]
    email = models.EmailField("e-mail address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    objects = AccountManager()  # type: ignore[misc]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class OrganizationQuerySet(models.QuerySet):
    def lock(self, pk: int) -> None:
        """Take the organization's row lock: the first lock of every service that changes its
        applications, memberships or invoices (the order is in foundation/transitions.py)."""
        list(self.select_for_update().filter(pk=pk).values_list("pk"))


# The largest employer on earth has about 2.3 million people: anything above this is a typo,
# and stays far below what the integer columns hold.
MAX_EMPLOYEES = 10_000_000
at_most_max_employees = MaxValueValidator(
    MAX_EMPLOYEES, f"No organization has more than {MAX_EMPLOYEES:,} employees; check the number."
)


class Organization(models.Model):
    class Type(models.TextChoices):
        COMPANY = "company", "Company"
        ACADEMIC = "academic", "Academic institution"
        NONPROFIT = "nonprofit", "Nonprofit"
        GOVERNMENT = "government", "Government"

    legal_name = models.CharField(max_length=200)
    display_name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    website = models.URLField(blank=True)
    country = CountryField(blank=True)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.COMPANY)
    employees = models.PositiveIntegerField(
        "consolidated employees", default=1,
        validators=[MinValueValidator(1), at_most_max_employees],
        help_text="Employees of the whole corporate group.",
    )
    logo = models.FileField(upload_to="logos/", blank=True, storage=public_storage)
    is_founding_member = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        constraints = [
            # The address is a URL: BOB-CORP and bob-corp are one address.
            models.UniqueConstraint(
                Lower("slug"), name="organization_slug_ci_unique",
                violation_error_message="This address is taken; choose another.",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("organization_detail", kwargs={"slug": self.slug})


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    SIGNATORY = "signatory", "Signatory"
    BILLING = "billing", "Billing contact"
    TECHNICAL = "technical", "Technical contact"
    MARKETING = "marketing", "Marketing contact"


class OrganizationRoleQuerySet(models.QuerySet):
    def of(self, organization: Organization) -> "OrganizationRoleQuerySet":
        return self.filter(organization=organization)


class OrganizationRole(models.Model):
    """One role a person holds in an organization; a person may hold several."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organization_roles"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganizationRoleQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "user", "role"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "role"], name="one_role_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organization}"


INVITATION_LIFETIME = timedelta(days=7)


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    ALLOWED_TRANSITIONS = {
        Status.PENDING: {Status.ACCEPTED, Status.REVOKED},
        Status.ACCEPTED: set(),
        Status.REVOKED: set(),
    }

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    roles = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    @property
    def expires_at(self):
        return self.created_at + INVITATION_LIFETIME

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    def role_labels(self) -> list[str]:
        return [Role(r).label for r in self.roles]
