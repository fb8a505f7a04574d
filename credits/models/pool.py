"""The self-service side of the credit pool: a hosted project's resource requests, the usage
its maintainers report against an allocation, and the expiry warnings already sent. Value
itself only moves in the ledger (credits/ledger/); these rows say who asked, who decided and
what was reported, and carry the unique keys that make each step happen once."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from credits import usd

from .programme import Provider


class ResourceRequest(models.Model):
    """A maintainer asks for an amount of a provider's credits for a period; staff approve
    it in full or in part (optionally with earmarked cash covering the rest), or reject it."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    ALLOWED_TRANSITIONS = {
        Status.SUBMITTED: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
    }

    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT,
                                related_name="resource_requests")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT,
                                 related_name="resource_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    amount = models.DecimalField("amount (USD)", max_digits=12, decimal_places=2)
    purpose = models.TextField(max_length=2000)
    starts_on = models.DateField("from")
    ends_on = models.DateField("until")
    monthly_use = models.DecimalField("expected monthly use (USD)", max_digits=12,
                                      decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField(auto_now_add=True)
    approved_amount = models.DecimalField("credits approved (USD)", max_digits=12,
                                          decimal_places=2, null=True, blank=True)
    cash_cover = models.DecimalField("covered from earmarked cash (USD)", max_digits=12,
                                     decimal_places=2, default=Decimal("0.00"))
    decision_note = models.TextField(blank=True, max_length=2000)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    ledger_transaction = models.ForeignKey("credits.LedgerTransaction", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "status"], name="resource_request_project"),
                   models.Index(fields=["status", "created_at"], name="resource_request_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="resource_request_amount"),
            models.CheckConstraint(condition=Q(monthly_use__gte=0),
                                   name="resource_request_monthly_use"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")),
                                   name="resource_request_period_in_order"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | Q(approved_amount__gte=0, approved_amount__lte=F("amount")),
                name="resource_request_approved_within_amount"),
            models.CheckConstraint(condition=Q(cash_cover__gte=0),
                                   name="resource_request_cash_cover"),
        ]

    def __str__(self) -> str:
        return f"{usd(self.amount)} of {self.provider} credits for {self.project}"

    @property
    def is_partial(self) -> bool:
        return (self.status == self.Status.APPROVED and self.approved_amount is not None
                and self.approved_amount + self.cash_cover < self.amount)

    @property
    def granted(self) -> Decimal:
        """What the allocation received: credits approved plus cash cover."""
        return (self.approved_amount or Decimal("0.00")) + self.cash_cover


class UsageRecord(models.Model):
    """One usage report against an allocation (by form or a CSV row). `key` is unique, so a
    double-clicked form or a re-imported file counts once; the ledger posts it under the
    same key. `excess` is what the allocation could not cover: staff see it until reviewed."""

    class Source(models.TextChoices):
        FORM = "form", "Form"
        CSV = "csv", "CSV import"

    allocation = models.ForeignKey("credits.Account", on_delete=models.PROTECT,
                                   related_name="usage_records")
    key = models.CharField(max_length=200, unique=True)
    amount = models.DecimalField("amount (USD)", max_digits=12, decimal_places=2)
    used_on = models.DateField("date of use")
    note = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=4, choices=Source.choices)
    excess = models.DecimalField("beyond the allocation (USD)", max_digits=12,
                                 decimal_places=2, default=Decimal("0.00"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    ledger_transaction = models.ForeignKey("credits.LedgerTransaction", on_delete=models.PROTECT,
                                           related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-used_on", "-id"]
        indexes = [models.Index(fields=["allocation", "used_on"], name="usage_record_allocation")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="usage_record_amount"),
            models.CheckConstraint(condition=Q(excess__gte=0, excess__lte=F("amount")),
                                   name="usage_record_excess"),
        ]

    def __str__(self) -> str:
        return f"{usd(self.amount)} used on {self.used_on}"


class ExpiryWarning(models.Model):
    """A warning sent about a lot nearing its expiry, once per lot and threshold (days)."""

    lot = models.ForeignKey("credits.Lot", on_delete=models.PROTECT, related_name="warnings")
    days = models.PositiveSmallIntegerField("days ahead")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["lot", "days"],
                                               name="one_expiry_warning_per_lot_and_threshold")]

    def __str__(self) -> str:
        return f"Lot {self.lot_id}: {self.days} days' warning"
