"""The TAC's vote on hosting a candidate. Staff open it with a closing date; each voting
member votes yes, no or abstain with a comment and may change their vote until it closes.
On closing, the project is foundation-hosted when the yes votes are at least two thirds of
ALL the voting members at that moment (abstaining is not yes, and neither is not voting);
otherwise it stays a candidate, with the result recorded.

Locks: the project, then the vote, then its ballots. The beat job closes votes whose date
has passed and reminds those who have not voted two days before closing; both find their
work by window, so running them twice changes nothing."""

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from foundation import audit, emails
from foundation.accounts.models import User
from foundation.audit import long_date
from foundation.transitions import DomainError, transition
from projects.models import PASS_DENOMINATOR, PASS_NUMERATOR, Ballot, Project, TacVote
from projects.selectors import voting_members

from .common import clean_text, lock_project, mail, maintainer_emails
from .hosting import onboarding_ensure

REMIND_BEFORE = timedelta(days=2)
MAX_VOTE_LENGTH = timedelta(days=90)


def yes_needed(eligible: int) -> int:
    """The fewest yes votes that pass with `eligible` voting members (6 of 9, 5 of 7)."""
    return -(-eligible * PASS_NUMERATOR // PASS_DENOMINATOR)


def passes(yes: int, eligible: int) -> bool:
    """Yes votes are at least two thirds of all voting members (whole numbers, no rounding:
    6 of 9 passes, 5 of 8 does not)."""
    return eligible > 0 and yes * PASS_DENOMINATOR >= eligible * PASS_NUMERATOR


def when(moment: datetime) -> str:
    """A moment as a person writes it: 12 March 2027 at 17:00 UTC (in the portal's zone)."""
    local = timezone.localtime(moment)
    return f"{long_date(local.date())} at {local:%H:%M} {local.tzname()}"


def _lock_vote(vote_id: int) -> tuple[Project, TacVote]:
    project_id = TacVote.objects.values_list("project_id", flat=True).get(pk=vote_id)
    project = lock_project(project_id)
    return project, TacVote.objects.select_for_update().get(pk=vote_id)


@transaction.atomic
def vote_open(*, project_id: int, actor: Any, closes_at: datetime) -> TacVote:
    """Staff open the TAC's vote on a candidate; every voting member is e-mailed."""
    if closes_at is None or timezone.is_naive(closes_at):
        raise DomainError("Give the date and time the vote closes.")
    now = timezone.now()
    if closes_at <= now:
        raise DomainError("The vote would close in the past: give a later closing date.")
    if closes_at > now + MAX_VOTE_LENGTH:
        raise DomainError(f"A vote stays open for at most {MAX_VOTE_LENGTH.days} days: give "
                          "an earlier closing date.")
    project = lock_project(project_id)
    if project.status != Project.Status.CANDIDATE:
        raise DomainError(f"The TAC votes only on candidates; {project.name} is "
                          f"{project.get_status_display().lower()}.")
    open_vote = TacVote.objects.filter(project=project, closed_at=None).first()
    if open_vote is not None and open_vote.closes_at == closes_at:
        return open_vote  # a repeated click
    if open_vote is not None:
        raise DomainError(f"A vote on {project.name} is open already.")
    members = list(voting_members(now))
    if not members:
        raise DomainError("The TAC roster has no voting members: add them before opening a "
                          "vote.")
    try:
        with transaction.atomic():
            vote = TacVote.objects.create(project=project, opened_by=actor, opened_at=now,
                                          closes_at=closes_at)
    except IntegrityError as exc:
        raise DomainError(f"A vote on {project.name} is open already.") from exc
    audit.record(project, actor=actor, action="project.vote_open",
                 new={"vote": vote.pk, "closes_at": closes_at.isoformat()})
    mail(project, "vote_opened", [u.email for u in members], obj=vote, vote=vote,
         closes=when(closes_at), eligible=len(members), needed=yes_needed(len(members)))
    return vote


@transaction.atomic
def ballot_cast(*, vote_id: int, voter: User, choice: str, comment: str = "") -> Ballot:
    """A voting member's vote, or their changed vote, while the vote is open."""
    if choice not in Ballot.Choice.values:
        raise DomainError("Choose yes, no or abstain.")
    comment = clean_text(comment, limit=3000, what="comment")
    project, vote = _lock_vote(vote_id)
    now = timezone.now()
    if vote.closed_at is not None or vote.closes_at <= now:
        raise DomainError(f"The vote on {project.name} has closed.")
    if not voting_members(now).filter(pk=voter.pk).exists():
        raise DomainError("Only voting members of the TAC vote.")
    ballot = Ballot.objects.select_for_update().filter(vote=vote, voter=voter).first()
    if ballot is None:
        ballot = Ballot.objects.create(vote=vote, voter=voter, choice=choice, comment=comment,
                                       created_at=now, updated_at=now)
        audit.record(ballot, actor=voter, action="ballot.cast", new={"choice": choice})
    elif (ballot.choice, ballot.comment) != (choice, comment):
        old = ballot.choice
        ballot.choice, ballot.comment, ballot.updated_at = choice, comment, now
        ballot.save(update_fields=["choice", "comment", "updated_at"])
        audit.record(ballot, actor=voter, action="ballot.change", old={"choice": old},
                     new={"choice": choice})
    return ballot


def _close(project: Project, vote: TacVote, *, at: datetime, actor: Any) -> TacVote:
    """Count the ballots of the voting members at `at` against all of them, record the
    result, and host the project when it passed."""
    eligible = list(voting_members(at).values_list("pk", flat=True))
    choices = list(Ballot.objects.select_for_update().filter(vote=vote, voter_id__in=eligible)
                   .values_list("choice", flat=True))
    yes, no, abstain = (choices.count(c) for c in Ballot.Choice.values)
    passed = passes(yes, len(eligible))
    vote.closed_at, vote.closed_by = at, actor if getattr(actor, "pk", None) else None
    vote.yes, vote.no, vote.abstain, vote.eligible = yes, no, abstain, len(eligible)
    vote.result = TacVote.Result.PASSED if passed else TacVote.Result.FAILED
    vote.save()
    members = f"{len(eligible)} voting member{'' if len(eligible) == 1 else 's'}"
    note = (f"TAC vote {vote.get_result_display().lower()}: {yes} yes, {no} no, {abstain} "
            f"abstaining, of {members}.")
    if project.status != Project.Status.CANDIDATE:  # archived while the vote was open
        audit.record(project, actor=actor, action="project.vote_closed", note=(
            f"{note} The project is {project.get_status_display().lower()}, so nothing "
            "changes."))
        return vote  # no result to announce: the project left the pathway
    if passed:
        # The landscape's joined date of a hosted project is the day the TAC accepted it.
        transition(project, Project.Status.HOSTED, action="project.host", actor=actor,
                   note=note, status_changed_at=timezone.now(),
                   joined_on=timezone.localdate(at))
        onboarding_ensure(project)
    else:
        audit.record(project, actor=actor, action="project.vote_failed", note=note)
    to = sorted({*maintainer_emails(project),
                 *User.objects.filter(pk__in=eligible).values_list("email", flat=True)})
    mail(project, "vote_result", to, obj=vote, vote=vote, passed=passed)
    return vote


@transaction.atomic
def vote_close(*, vote_id: int, actor: Any = None) -> TacVote:
    """Close a vote now (staff), or at its date when that has passed (the beat job, which
    counts the voting members at the closing date). Closing it again changes nothing."""
    project, vote = _lock_vote(vote_id)
    if vote.closed_at is not None:
        return vote
    now = timezone.now()
    return _close(project, vote, at=min(now, vote.closes_at), actor=actor)


def close_due_votes(now: datetime | None = None) -> int:
    """Beat: close every open vote whose date has passed, each in its own transaction."""
    now = now or timezone.now()
    due = list(TacVote.objects.filter(closed_at=None, closes_at__lte=now)
               .values_list("pk", flat=True))
    for vote_id in due:
        vote_close(vote_id=vote_id)
    return len(due)


def send_vote_reminders(now: datetime | None = None) -> int:
    """Beat: two days before an open vote closes, each voting member who has not voted is
    reminded, once per vote (the e-mail's key is the vote and the person). The number of
    reminders sent by this run."""
    now = now or timezone.now()
    sent = 0
    votes = TacVote.objects.filter(closed_at=None, closes_at__gt=now,
                                   closes_at__lte=now + REMIND_BEFORE).select_related("project")
    for vote in votes:
        with transaction.atomic():
            for member in voting_members(now).exclude(tac_ballots__vote=vote):
                queued = emails.queue(
                    kind="vote_reminder", obj=vote, to=member.email,
                    template="projects/emails/vote_reminder",
                    context={"project": vote.project, "vote": vote,
                             "closes": when(vote.closes_at)})
                sent += queued is not None
    return sent
