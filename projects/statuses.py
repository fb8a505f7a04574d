"""A project's state said to its maintainers: where it stands, what happens next, the
feedback and the reapply date; its timeline from the audit log; and the criteria, each
ticked when its evidence is there. Pages show these instead of a raw status."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from foundation import audit
from foundation.audit import long_date

from .models import Project

# What each step of the timeline says, by the audit log's action.
TIMELINE_WORDS = {
    "project.create": "Application started",
    "project.submit": "Submitted",
    "project.review_start": "Review started",
    "project.changes_request": "Changes requested",
    "project.approve": "Approved as an ecosystem project",
    "project.decline": "Declined",
    "project.sponsor": "Sponsored by a TAC member: now a candidate",
    "project.vote_open": "TAC vote opened",
    "project.vote_failed": "TAC vote did not pass",
    "project.host": "Foundation-hosted",
    "project.archive": "Archived",
}


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    met: bool


def criteria(project: Project) -> list[Criterion]:
    """The ecosystem criteria beside the application form, each met when its evidence is
    given (active development by a recent release, documentation, CI/CD, governance,
    community engagement by a contributing guide and code of conduct, security)."""
    return [
        Criterion("release", "Active development: a recent release",
                  bool(project.latest_release or project.latest_release_url)),
        Criterion("documentation", "Comprehensive documentation",
                  bool(project.documentation_url)),
        Criterion("ci", "CI/CD", bool(project.ci_url)),
        Criterion("governance", "Clear governance: a governance document",
                  bool(project.governance_url)),
        Criterion("community", "Community engagement: a contributing guide and a code of "
                               "conduct",
                  bool(project.contributing_url and project.code_of_conduct_url)),
        Criterion("security", "Security: a security policy",
                  bool(project.security_policy_url)),
        Criterion("openssf", "OpenSSF Best Practices badge",
                  project.openssf_badge != Project.Badge.NONE
                  and bool(project.openssf_badge_url)),
    ]


def state_in_words(project: Project) -> str:
    """Where the project stands and what happens next, in the maintainers' words."""
    status, S = project.status, Project.Status
    if status == S.DRAFT:
        return "Draft: finish the application and submit it when it is ready."
    if status == S.SUBMITTED:
        return "Submitted: our staff will start the review soon."
    if status == S.IN_REVIEW:
        return "In review: the Ecosystem Working Group decides by a simple majority."
    if status == S.CHANGES_REQUESTED:
        return (f"Changes requested: {project.feedback.rstrip('.')}. Edit the application and "
                "submit it again.")
    if status == S.DECLINED:
        when = ""
        if project.reapply_on:
            when = (" You may apply again now." if project.reapply_on <= timezone.localdate()
                    else f" You may apply again from {long_date(project.reapply_on)}.")
        return f"Declined: {project.feedback.rstrip('.')}.{when}"
    if status == S.ECOSYSTEM:
        return ("Ecosystem project. A voting member of the TAC can sponsor it as a candidate "
                "for foundation hosting.")
    if status == S.CANDIDATE:
        return "Candidate: the TAC votes on hosting it; two thirds of its voting members decide."
    if status == S.HOSTED:
        return "Foundation-hosted: our staff guide the onboarding."
    return "Archived."


@dataclass(frozen=True)
class Step:
    at: datetime
    words: str
    note: str


def timeline(project: Project) -> list[Step]:
    """The project's steps on the pathway, oldest first, from the audit log."""
    entries = audit.history(project).filter(action__in=TIMELINE_WORDS).order_by("created_at",
                                                                                 "pk")
    return [Step(entry.created_at, TIMELINE_WORDS[entry.action],
                 entry.note if entry.action in {"project.changes_request", "project.decline",
                                                "project.vote_failed", "project.host"}
                 else "")
            for entry in entries]
