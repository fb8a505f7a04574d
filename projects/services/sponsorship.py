"""From ecosystem to candidate: a maintainer asks a TAC voting member to sponsor the project,
and a voting member sponsors it with a statement. Nobody sponsors a project they maintain,
or one that their own organization backs."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from foundation import audit
from foundation.accounts.models import OrganizationRole, User
from foundation.transitions import DomainError, transition
from projects.models import Project, ProjectMaintainer, Sponsorship, SponsorshipRequest
from projects.selectors import is_voting_member, voting_seats

from .common import clean_text, ensure_maintainer, lock_project, mail

MAX_STATEMENT = 5000


def _conflict(project: Project, user: User, *, asked_by_maintainer: bool = False) -> str:
    """Why `user` may not sponsor the project, or "": said to the TAC member, or to the
    maintainer who asks them."""
    who, they, their = ((str(user), "they", "their") if asked_by_maintainer
                        else ("You", "you", "your"))
    if ProjectMaintainer.objects.filter(project=project, user_id=user.pk).exists():
        verb = "maintains" if asked_by_maintainer else "maintain"
        return (f"{who} {verb} {project.name}, so {they} cannot sponsor it: ask another "
                "voting member of the TAC.")
    org = project.backing_organization
    if org is not None:
        through_role = OrganizationRole.objects.filter(organization=org, user_id=user.pk)
        through_seat = voting_seats().filter(user_id=user.pk, organization=org)
        if through_role.exists() or through_seat.exists():
            return (f"{project.name} is backed by {org}, {their} organization, so {they} "
                    "cannot sponsor it: ask a voting member of the TAC from another "
                    "organization.")
    return ""


def _ensure_ecosystem(project: Project) -> None:
    if project.status != Project.Status.ECOSYSTEM:
        raise DomainError(f"Only an ecosystem project can be sponsored; {project.name} is "
                          f"{project.get_status_display().lower()}.")


@transaction.atomic
def sponsorship_request(*, project_id: int, actor: User, member: User,
                        message: str = "") -> SponsorshipRequest:
    """A maintainer asks one TAC voting member to sponsor their ecosystem project; the member
    is e-mailed once, however often the maintainer asks."""
    project = lock_project(project_id)
    ensure_maintainer(project, actor)
    _ensure_ecosystem(project)
    if not is_voting_member(member):
        raise DomainError(f"{member} is not a voting member of the TAC: ask one who is.")
    if reason := _conflict(project, member, asked_by_maintainer=True):
        raise DomainError(reason)
    message = clean_text(message, limit=3000, what="message")
    request, created = SponsorshipRequest.objects.get_or_create(
        project=project, member=member,
        defaults={"requested_by": actor, "message": message})
    if created:
        audit.record(project, actor=actor, action="project.sponsorship_request",
                     new={"member": member.email})
        mail(project, "sponsorship_request", [member.email], obj=request, request=request,
             member=member, requested_by=actor)
    return request


@transaction.atomic
def sponsor(*, project_id: int, actor: User, statement: str) -> Sponsorship:
    """A TAC voting member sponsors an ecosystem project with a statement: it becomes a
    candidate for foundation hosting."""
    statement = clean_text(statement, limit=MAX_STATEMENT, what="statement")
    if not statement:
        raise DomainError("Write your sponsorship statement: why the project should become "
                          "a candidate.")
    project = lock_project(project_id)
    done = Sponsorship.objects.filter(project=project, sponsor_id=actor.pk).first()
    if done is not None and project.status == Project.Status.CANDIDATE:
        return done  # a repeated click
    if not is_voting_member(actor):
        raise DomainError("Only a voting member of the TAC can sponsor a project.")
    if reason := _conflict(project, actor):
        raise DomainError(reason)
    _ensure_ecosystem(project)
    try:
        with transaction.atomic():
            sponsorship = Sponsorship.objects.create(project=project, sponsor=actor,
                                                     statement=statement)
    except IntegrityError as exc:
        raise DomainError(f"You sponsored {project.name} already.") from exc
    transition(project, Project.Status.CANDIDATE, action="project.sponsor", actor=actor,
               note=statement, status_changed_at=timezone.now())
    return sponsorship
