"""The membership programme as data: tiers, fees, the sliding scale, benefits and the
agreement. Staff edit these in the admin; no price lives in a template."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from foundation.accounts.models import Organization, at_most_max_employees


def validate_organization_types(value) -> None:
    """Pages ask a tier whether it takes an organization's type: anything but a list of
    known types there would break them."""
    if not isinstance(value, list) or any(kind not in Organization.Type.values for kind in value):
        raise ValidationError("Give a list of organization types, from: "
                              f"{', '.join(Organization.Type.values)}.")


class Tier(models.Model):
    class FeeKind(models.TextChoices):
        FIXED = "fixed", "A fixed yearly fee"
        SLIDING = "sliding", "A sliding scale by consolidated employees"
        FREE = "free", "Free"

    class Review(models.TextChoices):
        AUTOMATIC = "automatic", "Joins automatically"
        BOARD = "board", "The Governing Board decides"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    summary = models.TextField(blank=True, max_length=2000)
    order = models.PositiveSmallIntegerField(default=0, help_text="Most prominent first.",
                                             validators=[MaxValueValidator(1000)])
    fee_kind = models.CharField(max_length=10, choices=FeeKind.choices)
    annual_fee = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                     help_text="For a fixed fee, in USD per year.")
    requires_lf_silver = models.BooleanField(
        "requires LF Silver membership", default=False,
        help_text="Applicants attest to Linux Foundation Silver membership.")
    eligible_types = models.JSONField(
        default=list, blank=True, validators=[validate_organization_types],
        help_text="Organization types that may join; empty for every type.")
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.AUTOMATIC)
    review_days = models.PositiveSmallIntegerField(default=14,
                                                   validators=[MaxValueValidator(365)])
    has_questionnaire = models.BooleanField(default=False)
    has_board_seat = models.BooleanField("guaranteed Governing Board seat", default=False)
    shares_board_seats = models.BooleanField(
        "shares elected Governing Board seats", default=False,
        help_text="Members of the tier share 1 seat per 10 members, at most 3.")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def eligible(self, organization_type: str) -> bool:
        return not self.eligible_types or organization_type in self.eligible_types

    def fee_for(self, employees: int, bands=None) -> Decimal:
        """The yearly fee in USD for an organization of `employees`."""
        if self.fee_kind == self.FeeKind.FREE:
            return Decimal("0.00")
        if self.fee_kind == self.FeeKind.FIXED:
            return self.annual_fee or Decimal("0.00")
        for band in bands if bands is not None else self.fee_bands.all():
            if band.contains(employees):
                return band.annual_fee
        raise ValueError(f"No fee band of {self} covers {employees} employees.")


class FeeBand(models.Model):
    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="fee_bands")
    min_employees = models.PositiveIntegerField(validators=[at_most_max_employees])
    max_employees = models.PositiveIntegerField(null=True, blank=True,
                                                validators=[at_most_max_employees],
                                                help_text="Empty for no upper bound.")
    annual_fee = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["tier", "-min_employees"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "min_employees"], name="one_band_per_floor"),
            models.CheckConstraint(
                condition=Q(max_employees__isnull=True)
                | Q(max_employees__gte=models.F("min_employees")),
                name="band_max_not_below_min",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tier}: {self.label}"

    @property
    def label(self) -> str:
        if self.max_employees is None:
            return f"{self.min_employees:,} +"
        return f"{self.min_employees:,} – {self.max_employees:,}"

    def contains(self, employees: int) -> bool:
        return self.min_employees <= employees and (
            self.max_employees is None or employees <= self.max_employees)


class Benefit(models.Model):
    """A row of the benefits matrix; the tiers that hold it tick it."""

    key = models.SlugField(unique=True, help_text="Names the benefit for automation.")
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(1000)])
    tiers = models.ManyToManyField(Tier, related_name="benefits", blank=True)
    deliverable = models.BooleanField(
        default=True, help_text="Becomes a checklist item for each new member.")
    due_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days after activation by which it is delivered.",
        validators=[MaxValueValidator(365)])
    member_must_provide = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class AgreementVersion(models.Model):
    """The membership agreement's text, versioned. The newest published one is signed."""

    version = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200, default="Membership agreement")
    body = models.TextField(max_length=200_000)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at"]
        get_latest_by = "published_at"

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Testimonial(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE,
                                        related_name="testimonial")
    quote = models.TextField(max_length=2000)
    author = models.CharField(max_length=200, help_text="Name and title of who said it.")

    def __str__(self) -> str:
        return f"{self.author}, {self.organization}"
