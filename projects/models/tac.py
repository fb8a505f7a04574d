"""The Technical Advisory Council: its roster, and its votes on hosting a candidate.

A Premier member's named TAC representative is on the roster with that membership and votes
only while the membership is active; staff add other members, voting or not. Who may vote at
a moment is `projects.selectors.voting_members(at)`."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from foundation.accounts.models import Organization
from members.models import Membership

from .projects import Project

PASS_NUMERATOR, PASS_DENOMINATOR = 2, 3  # yes votes needed, as a share of all voting members


class TacMember(models.Model):
    """A seat on the TAC roster. It counts from `starts_at` until `ends_at` (staff removing it
    sets it), and votes when `voting` is set and its membership, if any, is active."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="tac_seats")
    organization = models.ForeignKey(Organization, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="tac_seats")
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="tac_seats",
        help_text="The Premier membership that names this representative; the seat votes only "
                  "while that membership is active.")
    voting = models.BooleanField(default=True)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["user__first_name", "user__last_name", "user__email"]
        verbose_name = "TAC member"
        constraints = [models.UniqueConstraint(fields=["user"], condition=Q(ends_at=None),
                                               name="one_current_tac_seat_per_user")]

    def __str__(self) -> str:
        return str(self.user)


class TacVote(models.Model):
    """The TAC's vote on hosting a candidate. It closes at `closes_at` (or earlier by staff);
    the counts are recorded at close, against every voting member at that moment."""

    class Result(models.TextChoices):
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="votes")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    result = models.CharField(max_length=10, choices=Result.choices, blank=True)
    yes = models.PositiveSmallIntegerField(null=True, blank=True)
    no = models.PositiveSmallIntegerField(null=True, blank=True)
    abstain = models.PositiveSmallIntegerField(null=True, blank=True)
    eligible = models.PositiveSmallIntegerField("voting members at close", null=True,
                                                blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = "TAC vote"
        constraints = [models.UniqueConstraint(fields=["project"], condition=Q(closed_at=None),
                                               name="one_open_vote_per_project")]
        indexes = [models.Index(fields=["closes_at"], condition=Q(closed_at=None),
                                name="tacvote_open_by_close")]

    def __str__(self) -> str:
        return f"TAC vote on {self.project}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Ballot(models.Model):
    """One voting member's choice in a vote; they may change it until the vote closes."""

    class Choice(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        ABSTAIN = "abstain", "Abstain"

    vote = models.ForeignKey(TacVote, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="tac_ballots")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    comment = models.TextField(blank=True, max_length=3000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["vote", "created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["vote", "voter"],
                                               name="one_ballot_per_voter")]

    def __str__(self) -> str:
        return f"{self.voter}: {self.get_choice_display()}"
