"""How the projects programme answers the kernel's dashboard: "Your projects" for the person
who maintains some (status in words, timeline, feedback, reapply date, the next step, asking
a TAC member to sponsor), and, for a voting member of the TAC, the votes they have not cast
and the projects asking them for sponsorship. The kernel's next steps are per organization,
and these are the person's, so they live in these sections. Each reads in a constant number
of queries however many projects there are."""

from collections import defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef
from django.utils import timezone

from foundation.accounts import panels
from foundation.accounts.models import User
from foundation.models import AuditEntry

from . import selectors
from .forms import SponsorshipRequestForm
from .models import Ballot, Project, SponsorshipRequest, TacVote
from .statuses import TIMELINE_WORDS, Step, criteria, state_in_words

# The steps whose note the maintainer reads in the timeline (the feedback, the vote's count).
NOTED = {"project.changes_request", "project.decline", "project.vote_failed", "project.host"}


def _timelines(projects: list[Project]) -> dict[int, list[Step]]:
    """Each project's steps on the pathway, oldest first, in one query for all."""
    found: dict[int, list[Step]] = defaultdict(list)
    if not projects:
        return found
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Project),
        object_id__in=[str(p.pk) for p in projects], action__in=TIMELINE_WORDS,
    ).order_by("created_at", "pk").only("object_id", "action", "note", "created_at")
    for entry in entries:
        found[int(entry.object_id)].append(Step(
            entry.created_at, TIMELINE_WORDS[entry.action],
            entry.note if entry.action in NOTED else ""))
    return found


def _next_step(project: Project) -> tuple[str, str]:
    """What the maintainer does next, and the words of its link: finish the draft, make the
    requested changes, apply again once the reapply date has come."""
    S = Project.Status
    url = f"/projects/apply/{project.pk}/"
    if project.status == S.DRAFT:
        return url, "Finish the application"
    if project.status == S.CHANGES_REQUESTED:
        return url, "Make the requested changes"
    if project.status == S.DECLINED and project.reapply_on \
            and project.reapply_on <= timezone.localdate():
        return url, "Apply again"
    return "", ""


def your_projects(user: User) -> dict[str, Any]:
    projects = list(selectors.maintained_projects(user).prefetch_related(
        "sponsorship_requests__member"))
    if not projects:
        return {}
    timelines = _timelines(projects)
    members: list[User] = []
    if any(p.status == Project.Status.ECOSYSTEM for p in projects):
        members = list(selectors.voting_members().exclude(pk=user.pk))
    entries = []
    for project in projects:
        url, label = _next_step(project)
        found = criteria(project)
        entries.append({
            "project": project, "state": state_in_words(project),
            "public": project.status in Project.PUBLIC_STATUSES,
            "timeline": timelines.get(project.pk, []), "next_url": url, "next_label": label,
            "criteria_met": sum(c.met for c in found), "criteria_count": len(found),
            "asked": [r.member for r in project.sponsorship_requests.all()],
            "sponsor_form": (SponsorshipRequestForm(members=members, prefix=f"p{project.pk}")
                             if project.status == Project.Status.ECOSYSTEM and members
                             else None),
        })
    return {"your_projects": entries}


def tac_waiting(user: User) -> dict[str, Any]:
    """For a voting member: the open votes they have not cast, soonest closing first, and
    the ecosystem projects that asked them for sponsorship."""
    if not selectors.is_voting_member(user):
        return {}
    mine = Ballot.objects.filter(vote=OuterRef("pk"), voter=user)
    votes = list(TacVote.objects.filter(closed_at=None, closes_at__gt=timezone.now())
                 .exclude(Exists(mine)).select_related("project").order_by("closes_at", "pk"))
    asking = list(SponsorshipRequest.objects.filter(
        member=user, project__status=Project.Status.ECOSYSTEM).select_related("project")
        .order_by("project__name"))
    return {"tac_votes_waiting": votes, "tac_asking": asking, "tac_member": True}


def person_section(user: User) -> dict[str, Any]:
    """The projects' section of /dashboard/: empty for a person who neither maintains a
    project nor votes on the TAC."""
    return {**your_projects(user), **tac_waiting(user)}


# projects/apps.py imports this module when the app is ready: the section joins the kernel.
panels.person_sections.append(panels.PersonSection("projects/_dashboard_section.html",
                                                   person_section))
