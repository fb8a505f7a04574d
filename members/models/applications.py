from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_countries.fields import CountryField

from foundation.accounts.models import Organization, at_most_max_employees

from .catalogue import AgreementVersion, Tier

SIGNATURE_LINK_LIFETIME = timedelta(days=14)


class ApplicationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=Application.OPEN_STATUSES)

    def overdue(self, today):
        return self.filter(status=Application.Status.UNDER_REVIEW, review_due__lt=today)


class Application(models.Model):
    """An organization's application for a tier. Nothing is invoiced or activated before
    its signatory has accepted the agreement (`signed_at`)."""

    class Status(models.TextChoices):
        UNDER_REVIEW = "under_review", "Under board review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        DECLINED = "declined", "Declined by the signatory"
        WITHDRAWN = "withdrawn", "Withdrawn"
        COMPLETED = "completed", "Membership active"

    OPEN_STATUSES = [Status.UNDER_REVIEW, Status.CHANGES_REQUESTED, Status.APPROVED]
    ALLOWED_TRANSITIONS = {
        Status.UNDER_REVIEW: {Status.APPROVED, Status.REJECTED, Status.CHANGES_REQUESTED,
                              Status.DECLINED, Status.WITHDRAWN},
        Status.CHANGES_REQUESTED: {Status.UNDER_REVIEW, Status.REJECTED, Status.DECLINED,
                                   Status.WITHDRAWN},
        Status.APPROVED: {Status.COMPLETED, Status.DECLINED, Status.WITHDRAWN},
        Status.REJECTED: set(),
        Status.DECLINED: set(),
        Status.WITHDRAWN: set(),
        Status.COMPLETED: set(),
    }

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                      related_name="applications")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(max_length=20, choices=Status.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    annual_fee = models.DecimalField(max_digits=12, decimal_places=2)
    employees = models.PositiveIntegerField("consolidated employees at application",
                                            validators=[at_most_max_employees])

    signatory_name = models.CharField(max_length=200)
    signatory_title = models.CharField(max_length=200)
    signatory_email = models.EmailField()
    billing_email = models.EmailField("billing contact e-mail")
    billing_address = models.TextField(max_length=2000)
    billing_country = CountryField(blank=True)
    po_number = models.CharField("PO number", max_length=64, blank=True)
    tax_id = models.CharField("tax ID", max_length=64, blank=True)
    lf_silver_attested = models.BooleanField("LF Silver membership attested", default=False)
    agreement = models.ForeignKey(AgreementVersion, on_delete=models.PROTECT, related_name="+")

    # Premier questionnaire.
    motivation = models.TextField(blank=True, max_length=5000)
    planned_contributions = models.TextField(blank=True, max_length=5000)
    board_representative = models.CharField("proposed Governing Board representative",
                                            max_length=200, blank=True)
    tac_representative = models.CharField("proposed TAC representative", max_length=200,
                                          blank=True)

    review_due = models.DateField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=5000)
    decided_at = models.DateTimeField(null=True, blank=True)

    # The signatory's acceptance: who, when, from where, which version.
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_name = models.CharField(max_length=200, blank=True)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    signed_version = models.ForeignKey(AgreementVersion, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    declined_reason = models.TextField(blank=True, max_length=5000)
    # Written into the signature link; a fresh link raises it, so every earlier link fails.
    signature_version = models.PositiveSmallIntegerField(default=1)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(status__in=["under_review", "changes_requested", "approved"]),
                name="one_open_application_per_organization",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} for {self.tier}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return (self.status == self.Status.UNDER_REVIEW and self.review_due is not None
                and self.review_due < timezone.localdate())
