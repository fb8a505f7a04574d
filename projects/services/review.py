"""Staff's review of an application: start it, request changes (with feedback), and record
the Ecosystem Working Group's decision with its vote counts. The simple majority of the votes
cast decides; a decline needs feedback and sets the date the project may reapply, three
months after the decision."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from foundation.audit import long_date
from foundation.transitions import DomainError, transition
from projects.models import REAPPLY_AFTER_MONTHS, EcosystemDecision, Project

from .common import add_months, clean_text, lock_project, mail, maintainer_emails

MAX_COUNT = 1000  # no working group is larger: a bigger count is a typo


@transaction.atomic
def review_start(*, project_id: int, actor: Any) -> Project:
    """Staff take a submitted application into review; taking it again changes nothing."""
    project = lock_project(project_id)
    if project.status == Project.Status.IN_REVIEW:
        return project
    transition(project, Project.Status.IN_REVIEW, action="project.review_start", actor=actor,
               status_changed_at=timezone.now())
    return project


@transaction.atomic
def changes_request(*, project_id: int, actor: Any, feedback: str) -> Project:
    """Staff ask the maintainers to change the application, saying what and why."""
    feedback = clean_text(feedback, limit=5000, what="feedback")
    if not feedback:
        raise DomainError("Say what should change: the maintainers read this feedback.")
    project = lock_project(project_id)
    if project.status == Project.Status.CHANGES_REQUESTED and project.feedback == feedback:
        return project  # a repeated click
    transition(project, Project.Status.CHANGES_REQUESTED, action="project.changes_request",
               actor=actor, note=feedback, feedback=feedback, status_changed_at=timezone.now())
    mail(project, "changes_requested", maintainer_emails(project),
         occurrence=project.status_changed_at.isoformat(), feedback=feedback)
    return project


def _count(value: Any, label: str) -> int:
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_COUNT:
        raise DomainError(f"Give the number of {label} as a whole number, 0 or more.")
    return int(text)


@transaction.atomic
def decision_record(*, project_id: int, actor: Any, yes: Any, no: Any, abstain: Any = 0,
                    feedback: str = "") -> EcosystemDecision:
    """Record the working group's vote. More votes for than against approves: the project
    joins the ecosystem. Otherwise it is declined, with feedback and a reapply date."""
    counts = (_count(yes, "votes for"), _count(no, "votes against"),
              _count(abstain or 0, "abstentions"))
    n_yes, n_no, n_abstain = counts
    if n_yes + n_no == 0:
        raise DomainError("No vote was cast for or against: a decision needs at least one.")
    if n_yes == n_no:
        raise DomainError(f"A tie ({n_yes} for, {n_no} against) is not a majority: record "
                          "the decision once the working group has one.")
    feedback = clean_text(feedback, limit=5000, what="feedback")
    approved = n_yes > n_no
    if not approved and not feedback:
        raise DomainError("A decline needs feedback: say why, and what would change the "
                          "decision.")
    project = lock_project(project_id)
    outcome = EcosystemDecision.Outcome.APPROVED if approved else EcosystemDecision.Outcome.DECLINED
    decided = {EcosystemDecision.Outcome.APPROVED: Project.Status.ECOSYSTEM,
               EcosystemDecision.Outcome.DECLINED: Project.Status.DECLINED}[outcome]
    latest = project.decisions.order_by("-decided_at", "-pk").first()
    if project.status == decided and latest is not None and (
            latest.outcome, latest.yes, latest.no, latest.abstain) == (outcome, *counts):
        return latest  # a repeated click
    now = timezone.now()
    today = timezone.localdate(now)
    note = f"Ecosystem Working Group: {n_yes} for, {n_no} against, {n_abstain} abstaining."
    if approved:
        transition(project, Project.Status.ECOSYSTEM, action="project.approve", actor=actor,
                   note=note, feedback=feedback, reapply_on=None, status_changed_at=now,
                   joined_on=project.joined_on or today)
    else:
        transition(project, Project.Status.DECLINED, action="project.decline", actor=actor,
                   note=f"{note} {feedback}", feedback=feedback, status_changed_at=now,
                   reapply_on=add_months(today, REAPPLY_AFTER_MONTHS))
    decision = EcosystemDecision.objects.create(
        project=project, outcome=outcome, yes=n_yes, no=n_no, abstain=n_abstain,
        feedback=feedback, decided_by=actor if getattr(actor, "pk", None) else None,
        decided_at=now)
    mail(project, "decision", maintainer_emails(project), obj=decision, decision=decision,
         feedback=feedback, approved=approved,
         reapply_on=long_date(project.reapply_on) if project.reapply_on else "")
    return decision
