"""A project's request for help to the technical contact of the sponsor whose provider it
has an allocation of, and how fast that contact responded against the pledge's SLA."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timesince import timesince

from .pledges import Pledge


def duration_words(duration: timedelta | None) -> str:
    """A response time in words: "under a minute" below one (not "0 minutes"), else as
    Django's timesince writes it; empty for none."""
    if duration is None:
        return ""
    if duration < timedelta(minutes=1):
        return "under a minute"
    start = datetime(2000, 1, 1, tzinfo=UTC)  # any fixed instant
    return timesince(start, start + duration)


class SupportRequestQuerySet(models.QuerySet):
    def open(self) -> "SupportRequestQuerySet":
        """Not answered yet (an acknowledged request still waits for its answer)."""
        return self.exclude(status=SupportRequest.Status.ANSWERED)

    def overdue_unflagged(self, now) -> "SupportRequestQuerySet":
        """The beat job's window: past the deadline, no response, never flagged."""
        return self.filter(deadline__lte=now, first_response_at__isnull=True,
                           flagged_at__isnull=True)

    def flagged_waiting(self) -> "SupportRequestQuerySet":
        """Flagged to staff and still without any response: staff's queue."""
        return self.filter(flagged_at__isnull=False, first_response_at__isnull=True)


class SupportRequest(models.Model):
    """Sent to the contact the pledge named when it was made: the address and SLA are kept
    here, so a later change of contact does not rewrite who was asked or by when."""

    class Status(models.TextChoices):
        SENT = "sent", "Waiting for the contact"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        ANSWERED = "answered", "Answered"

    ALLOWED_TRANSITIONS = {
        Status.SENT: {Status.ACKNOWLEDGED, Status.ANSWERED},
        Status.ACKNOWLEDGED: {Status.ANSWERED},
        Status.ANSWERED: set(),
    }

    allocation = models.ForeignKey("credits.Account", on_delete=models.PROTECT,
                                   related_name="support_requests",
                                   limit_choices_to={"kind": "allocation"})
    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT,
                               related_name="support_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=200)
    message = models.TextField(max_length=5000)
    contact_name = models.CharField("technical contact's name", max_length=200)
    contact_email = models.EmailField("technical contact's e-mail")
    sla_hours = models.PositiveIntegerField("SLA response time (hours)")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SENT)
    sent_at = models.DateTimeField()
    deadline = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # The first of acknowledged_at and answered_at, set once with it, so the SLA figures and
    # staff's queue filter on one indexed column.
    first_response_at = models.DateTimeField("first response", null=True, blank=True)
    answer = models.TextField(max_length=10000, blank=True)
    flagged_at = models.DateTimeField("flagged to staff", null=True, blank=True)

    objects = SupportRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["deadline"], name="support_due",
                         condition=Q(first_response_at__isnull=True, flagged_at__isnull=True)),
            models.Index(fields=["pledge", "sent_at"], name="support_by_pledge"),
            models.Index(fields=["allocation", "status"], name="support_by_allocation"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gt=models.F("sent_at")),
                                   name="support_deadline_after_sending"),
        ]

    def __str__(self) -> str:
        return f"Support request {self.pk}: {self.subject}"

    @property
    def response_time(self) -> timedelta | None:
        return self.first_response_at - self.sent_at if self.first_response_at else None

    @property
    def response_words(self) -> str:
        """How long the first response took, as a person says it: "under a minute", "3
        hours, 5 minutes"; empty before any response."""
        return duration_words(self.response_time)

    @property
    def within_sla(self) -> bool | None:
        """Whether the first response came by the deadline; None before any response."""
        if self.first_response_at:
            return self.first_response_at <= self.deadline
        return None
