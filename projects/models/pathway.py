"""The steps of the pathway that are more than a status: the Ecosystem Working Group's
decision, a TAC member's sponsorship, and a maintainer's request for one."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .projects import Project


class EcosystemDecision(models.Model):
    """The Ecosystem Working Group's vote on an application, recorded by staff; the simple
    majority of the votes cast decides."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    yes = models.PositiveSmallIntegerField("votes for")
    no = models.PositiveSmallIntegerField("votes against")
    abstain = models.PositiveSmallIntegerField("abstentions", default=0)
    feedback = models.TextField(blank=True, max_length=5000)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        get_latest_by = "decided_at"

    def __str__(self) -> str:
        return f"{self.project}: {self.get_outcome_display()} ({self.yes}–{self.no})"


class Sponsorship(models.Model):
    """A TAC voting member's sponsorship, which makes an ecosystem project a candidate."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sponsorships")
    sponsor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="project_sponsorships")
    statement = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["project", "sponsor"],
                                               name="one_sponsorship_per_sponsor")]

    def __str__(self) -> str:
        return f"{self.project} sponsored by {self.sponsor}"


class SponsorshipRequest(models.Model):
    """A maintainer asking one TAC member to sponsor their project (e-mailed once)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE,
                                related_name="sponsorship_requests")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="sponsorship_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    message = models.TextField(blank=True, max_length=3000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["project", "member"],
                                               name="one_sponsorship_request_per_member")]

    def __str__(self) -> str:
        return f"{self.project} asks {self.member}"
