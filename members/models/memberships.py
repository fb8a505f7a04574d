from datetime import date, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from foundation.accounts.models import Organization

from .applications import Application
from .catalogue import Tier

GRACE = timedelta(days=30)
RENEWAL_NOTICE = timedelta(days=60)
REMINDERS = (30, 7)


def add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February: a year later is 1 March
        return date(day.year + 1, 3, 1)


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Membership.Status.ACTIVE)


class Membership(models.Model):
    """An organization's membership at a tier. It is active from the first paid term (or the
    signature, for a free tier) and runs term by term; 30 days after its end it lapses."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting payment"
        ACTIVE = "active", "Active"
        LAPSED = "lapsed", "Lapsed"
        ENDED = "ended", "Ended"

    ALLOWED_TRANSITIONS = {
        Status.PENDING: {Status.ACTIVE, Status.ENDED},
        Status.ACTIVE: {Status.LAPSED, Status.ENDED},
        Status.LAPSED: set(),
        Status.ENDED: set(),
    }

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="memberships")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="memberships")
    application = models.OneToOneField(Application, on_delete=models.PROTECT,
                                       related_name="membership")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    board_representative = models.CharField("Governing Board representative", max_length=200,
                                            blank=True)
    tac_representative = models.CharField("TAC representative", max_length=200, blank=True)
    # The member gave notice: it stays active until this day, does not renew, then ends.
    leaves_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["tier__order", "organization__display_name"]
        constraints = [
            models.UniqueConstraint(fields=["organization"], condition=Q(status="active"),
                                    name="one_active_membership_per_organization"),
            models.UniqueConstraint(fields=["organization"], condition=Q(status="pending"),
                                    name="one_pending_membership_per_organization"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.tier})"

    @property
    def renewal_date(self) -> date | None:
        return self.ends_on + timedelta(days=1) if self.ends_on else None

    def last_day_if_leaving(self, today: date) -> date:
        """The end of the paid term; in the grace period, whose renewal is unpaid, today."""
        return max(self.ends_on or today, today)

    @property
    def in_grace(self) -> bool:
        today = timezone.localdate()
        return (self.status == self.Status.ACTIVE and self.ends_on is not None
                and self.ends_on < today <= self.ends_on + GRACE)


class MembershipTerm(models.Model):
    """Twelve months of a membership, and the invoice that pays for them."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="terms")
    starts_on = models.DateField()
    ends_on = models.DateField()
    fee = models.DecimalField(max_digits=12, decimal_places=2)
    invoice = models.OneToOneField("billing.Invoice", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="membership_term")
    paid = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_on"]
        constraints = [models.UniqueConstraint(fields=["membership", "starts_on"],
                                               name="one_term_per_start")]

    def __str__(self) -> str:
        return f"{self.membership}: {self.starts_on} – {self.ends_on}"

    def lock_chain(self) -> None:
        """Lock what paying this term's invoice changes, in the documented order
        (foundation/transitions.py): application, membership, term. Billing calls it after
        locking the organization and before the invoice."""
        membership = Membership.objects.filter(pk=self.membership_id)
        for rows in (Application.objects.filter(pk__in=membership.values("application_id")),
                     membership, MembershipTerm.objects.filter(pk=self.pk)):
            list(rows.select_for_update().values_list("pk"))
