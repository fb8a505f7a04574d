"""Reads of the projects programme: who votes on the TAC at a moment, who maintains a
project, the projects a person may see."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from foundation.accounts.models import User
from members.models import Membership

from .models import Project, ProjectMaintainer, TacMember


def tac_seats(at: datetime | None = None) -> QuerySet[TacMember]:
    """The roster's seats that count at `at` (now by default): started, not ended."""
    at = at or timezone.now()
    return TacMember.objects.filter(Q(ends_at=None) | Q(ends_at__gt=at), starts_at__lte=at)


def voting_seats(at: datetime | None = None) -> QuerySet[TacMember]:
    """Seats that vote at `at`: marked voting, and a Premier member's representative only
    while that membership is active (a lapsed or ended membership's seat stops voting). The
    roster's dates are read at `at`; a membership's status is the one it has now, as
    memberships keep no history of their status."""
    return tac_seats(at).filter(voting=True).filter(
        Q(membership=None) | Q(membership__status=Membership.Status.ACTIVE))


def voting_members(at: datetime | None = None) -> QuerySet[User]:
    """The people who vote on the TAC at `at`, each once."""
    return User.objects.filter(is_active=True,
                               pk__in=voting_seats(at).values("user_id")).order_by("pk")


def is_voting_member(user: User, at: datetime | None = None) -> bool:
    return bool(user.is_authenticated) and voting_members(at).filter(pk=user.pk).exists()


def is_maintainer(user: User, project: Project) -> bool:
    return bool(user.is_authenticated) and ProjectMaintainer.objects.filter(
        project=project, user=user).exists()


def maintained_projects(user: User) -> QuerySet[Project]:
    """The projects the person maintains, whatever their status (their dashboard)."""
    return Project.objects.filter(maintainers__user=user).order_by("name", "pk")


def project_for_maintainer(user: User, slug: str) -> Project | None:
    """The project by slug when the person maintains it; None otherwise, so another
    project's application is a 404 and not a refusal that tells it exists."""
    if not user.is_authenticated:
        return None
    return maintained_projects(user).filter(slug=slug).first()


def projects_per_status() -> dict:
    """The home page's figure (programmes.home_figures): the public projects per status,
    foundation-hosted first, in one query."""
    counts = dict(Project.objects.public().order_by().values_list("status")
                  .annotate(n=Count("pk")).values_list("status", "n"))
    order = (Project.Status.HOSTED, Project.Status.CANDIDATE, Project.Status.ECOSYSTEM,
             Project.Status.ARCHIVED)
    return {"projects_per_status": [(status.label, counts.get(status.value, 0))
                                    for status in order]}
