"""What the projects services share: the project's lock, its maintainers' addresses, the
e-mails, and problems gathered per field."""

from calendar import monthrange
from datetime import date
from typing import Any

from django.http import Http404

from foundation import emails
from foundation.accounts.models import User
from foundation.transitions import DomainError
from projects.models import Project, ProjectMaintainer


def clean_text(value: str, *, limit: int, what: str) -> str:
    """Free text as stored: stripped, without NUL characters (PostgreSQL refuses them) and
    within its length, or a DomainError saying which."""
    text = (value or "").strip()
    if "\x00" in text:
        raise DomainError(f"The {what} has a null character: remove it.")
    if len(text) > limit:
        raise DomainError(f"Keep the {what} to {limit:,} characters (it has {len(text):,}).")
    return text


def lock_project(project_id: int) -> Project:
    """The project under its row lock: the first lock of every projects service (then its
    repositories, a vote, its ballots)."""
    project = (Project.objects.select_for_update(of=("self",))
               .select_related("backing_organization").filter(pk=project_id).first())
    if project is None:
        raise Http404("No such project.")
    return project


def ensure_maintainer(project: Project, user: User) -> None:
    """A person who does not maintain the project gets a 404, as if it did not exist."""
    if not ProjectMaintainer.objects.filter(project=project, user_id=user.pk).exists():
        raise Http404("No such project.")


def maintainer_emails(project: Project) -> list[str]:
    return sorted(set(ProjectMaintainer.objects.filter(project=project, user__is_active=True)
                      .values_list("user__email", flat=True)))


def mail(project: Project, kind: str, to: list[str], *, obj: Any = None,
         occurrence: str = "", **context: Any) -> None:
    """One message per address, stored once under (kind, object, address, occurrence) and
    sent after commit."""
    for address in to:
        emails.queue(kind=kind, obj=obj or project, to=address, occurrence=occurrence,
                     template=f"projects/emails/{kind}",
                     context={"project": project, **context})


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (30 November
    plus three months is 28 or 29 February)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))
