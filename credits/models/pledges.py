"""Pledges and their contributions, and the sponsor's year that holds its benefits
checklist. Money is Decimal USD; a contribution's value counts toward a level once its
pledge is confirmed."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from credits import usd
from foundation.accounts.models import Organization

from .programme import Level, Provider

CURRENCY = "USD"
COUNTED = ("confirmed", "fulfilled")  # the pledge statuses whose contributions count


class PledgeQuerySet(models.QuerySet):
    def counted(self) -> "PledgeQuerySet":
        return self.filter(status__in=COUNTED)

    def listed(self, year: int) -> "PledgeQuerySet":
        """The pledges that put their sponsor on the public wall."""
        return self.counted().filter(year=year, listed_publicly=True)


class Pledge(models.Model):
    """What a sponsor promises for a programme year: one or more contributions, and the
    technical point of contact who answers within the SLA."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        CONFIRMED = "confirmed", "Confirmed"
        FULFILLED = "fulfilled", "Fulfilled"
        CANCELLED = "cancelled", "Cancelled"

    ALLOWED_TRANSITIONS = {
        Status.SUBMITTED: {Status.CONFIRMED, Status.CANCELLED},
        Status.CONFIRMED: {Status.FULFILLED, Status.CANCELLED},
        Status.FULFILLED: set(),
        Status.CANCELLED: set(),
    }

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        CHAT = "chat", "Chat"
        TICKET = "ticket", "Ticket URL"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="pledges")
    year = models.PositiveSmallIntegerField("programme year")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    agreement_signed_on = models.DateField("agreement signed on", null=True, blank=True)
    cancel_reason = models.TextField(blank=True, max_length=2000)
    listed_publicly = models.BooleanField(
        "listed publicly", default=False, help_text="The sponsor agrees to appear on the wall.")
    offering_description = models.TextField(
        blank=True, max_length=2000,
        help_text="For a Champion's top placement: what the offering is and how to use it.")
    contact_name = models.CharField("technical contact's name", max_length=200)
    contact_email = models.EmailField("technical contact's e-mail")
    sla_hours = models.PositiveIntegerField("SLA response time (hours)")
    support_channel = models.CharField(max_length=10, choices=Channel.choices)
    support_channel_value = models.CharField(
        "support address or URL", max_length=500,
        help_text="The e-mail address, chat link or ticket URL.")
    support_hours = models.CharField(max_length=200, blank=True,
                                     help_text="e.g. Monday to Friday, 9:00–17:00 CET")
    po_number = models.CharField("PO number", max_length=64, blank=True)
    tax_id = models.CharField("tax ID", max_length=64, blank=True)
    billing_address = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = PledgeQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "year", "status"])]
        constraints = [models.CheckConstraint(condition=Q(sla_hours__gt=0),
                                              name="pledge_sla_positive")]

    def __str__(self) -> str:
        return f"{self.organization}'s pledge for {self.year}"

    @property
    def total(self) -> Decimal:
        return sum((c.value for c in self.contributions.all()), Decimal("0.00"))


class Contribution(models.Model):
    """Credit (a provider's service, at face value) or cash (invoiced through billing)."""

    class Kind(models.TextChoices):
        CREDIT = "credit", "Credit"
        CASH = "cash", "Cash"

    class Redemption(models.TextChoices):
        ACCOUNT_CREDIT = "account_credit", "Account credit"
        PROMO_CODES = "promo_codes", "Promotional codes"
        DIRECT_BILLING = "direct_billing", "Direct billing"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PLEDGED = "pledged", "Pledged"
        RECEIVED = "received", "Received"

    ALLOWED_TRANSITIONS = {Status.PLEDGED: {Status.RECEIVED}, Status.RECEIVED: set()}

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="contributions")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="contributions")
    service = models.CharField(max_length=200, blank=True)
    face_value = models.DecimalField("face value (USD)", max_digits=12, decimal_places=2,
                                     null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    redemption_method = models.CharField(max_length=16, choices=Redemption.choices, blank=True)
    redemption_note = models.CharField(max_length=500, blank=True)
    cash_amount = models.DecimalField("cash amount (USD)", max_digits=12, decimal_places=2,
                                      null=True, blank=True)
    invoice = models.OneToOneField("billing.Invoice", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="contribution")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLEDGED)
    amount_granted = models.DecimalField("amount granted (USD)", max_digits=12, decimal_places=2,
                                         null=True, blank=True)
    # How the foundation redeems the credit (an account id, a code batch): staff only, never
    # on a public page, in the API or in the audit log's values.
    redemption_reference = models.CharField(max_length=500, blank=True)
    received_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="credit", face_value__gt=0, cash_amount__isnull=True)
                           | Q(kind="cash", cash_amount__gt=0, face_value__isnull=True)),
                name="contribution_has_its_kinds_amount"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="contribution_validity_in_order"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.CASH:
            return f"{usd(self.value)} cash"
        return f"{usd(self.value)} of {self.provider} credit"

    @property
    def value(self) -> Decimal:
        """What it counts toward the level: the credit's face value, or the cash amount."""
        return (self.face_value if self.kind == self.Kind.CREDIT else self.cash_amount) \
            or Decimal("0.00")

    def lock_chain(self) -> None:
        """Lock what paying this contribution's invoice changes, in the documented order
        (foundation/transitions.py): pledge, contribution. Billing calls it after locking the
        organization and before the invoice."""
        for rows in (Pledge.objects.filter(pk=self.pledge_id),
                     Contribution.objects.filter(pk=self.pk)):
            list(rows.select_for_update().values_list("pk"))


class SponsorYear(models.Model):
    """An organization's programme year: the level its confirmed contributions reached, and
    the holder of its benefits checklist (one item per benefit, whatever the pledges)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                      related_name="sponsor_years")
    year = models.PositiveSmallIntegerField("programme year")
    level = models.ForeignKey(Level, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="sponsor_years")

    class Meta:
        ordering = ["-year", "organization__display_name"]
        constraints = [models.UniqueConstraint(fields=["organization", "year"],
                                               name="one_sponsor_year_per_organization")]

    def __str__(self) -> str:
        return f"{self.organization}, {self.year}"
