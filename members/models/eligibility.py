from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from foundation.accounts.models import Organization

from .applications import Application

ELIGIBILITY_CHECK_DAYS = 7
TYPE_CHANGE_WINDOW = timedelta(days=90)


class EligibilityCheckQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=EligibilityCheck.Status.OPEN)

    def overdue(self, today):
        return self.open().filter(due_date__lt=today)


class EligibilityCheck(models.Model):
    """Staff confirm that an organization still fits its tier: its type, on which the fee and
    the eligibility rest, changed while it was a member or applying, or shortly before it
    applied for a tier only some types may join."""

    class Status(models.TextChoices):
        OPEN = "open", "To check"
        CONFIRMED = "confirmed", "Eligible"
        REJECTED = "rejected", "Not eligible"

    ALLOWED_TRANSITIONS = {
        Status.OPEN: {Status.CONFIRMED, Status.REJECTED},
        Status.CONFIRMED: set(),
        Status.REJECTED: set(),
    }

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="eligibility_checks")
    application = models.ForeignKey(Application, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="eligibility_checks")
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    due_date = models.DateField()
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = EligibilityCheckQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization"], condition=Q(status="open"),
                                    name="one_open_eligibility_check_per_organization"),
        ]

    def __str__(self) -> str:
        return f"Eligibility of {self.organization}"
