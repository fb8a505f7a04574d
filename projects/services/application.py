"""Applying to the ecosystem: a draft saved as it is, a submission checked in full, an
application edited and submitted again after changes were requested (or, once its reapply
date has come, after a decline), and the maintainers invited by e-mail.

Every problem is raised at once as a ValidationError keyed by field, and nothing is written.
Locks: the project, then its repositories (foundation/transitions.py's order, extended in
projects/services/__init__.py)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files import File
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from foundation import audit, emails
from foundation.accounts.models import Organization, User
from foundation.audit import long_date
from foundation.signed_links import signed_id
from foundation.transitions import DomainError, transition
from foundation.uploads import delete_after_commit
from foundation.validation import Errors
from projects.models import (
    INVITATION_LIFETIME,
    MaintainerInvitation,
    Project,
    ProjectMaintainer,
    ProjectRepository,
    Tag,
    normalize_repository_url,
)
from projects.spdx import canonical_license

from .common import ensure_maintainer, lock_project, mail, maintainer_emails

URL_FIELDS = ("homepage_url", "documentation_url", "ci_url", "governance_url",
              "contributing_url", "code_of_conduct_url", "security_policy_url",
              "openssf_badge_url", "latest_release_url")
TEXT_FIELDS = ("name", "summary", "description", "similar_projects", "pytorch_versions",
               "components", "maintenance_horizon", "latest_release")
# What a submission cannot do without; the criteria evidence is optional, and ticked off on
# the checklist beside the form as it comes.
REQUIRED = {
    "name": "Give the project's name.",
    "summary": "Give a one-line summary of the project.",
    "description": "Describe the project.",
    "license": "Give the project's licence as an SPDX identifier, such as Apache-2.0.",
    "documentation_url": "Give the address of the project's documentation.",
    "ci_url": "Give the address of the project's CI.",
    "pytorch_versions": "Give the PyTorch versions the project supports.",
    "components": "Name the PyTorch components the project uses.",
    "maintenance_horizon": "Say how long the project will be maintained.",
    "category": "Choose the category: platform or vertical.",
}
MAX_REPOSITORIES = 20
MAX_INVITATIONS = 20
INVITATION_SALT = "projects.maintainer-invitation"
# The fixed addresses under /projects/ (projects/urls.py): a project's page at one of them
# could never be reached.
RESERVED_SLUGS = frozenset({"apply", "tac", "invitations", "landscape.yml"})


@dataclass(frozen=True)
class ApplicationInput:
    """The application as the maintainer fills it in; every field may be empty in a draft."""

    name: str = ""
    summary: str = ""
    description: str = ""
    similar_projects: str = ""
    repositories: Sequence[str] = ()
    license: str = ""
    backing_organization: Organization | None = None
    homepage_url: str = ""
    documentation_url: str = ""
    ci_url: str = ""
    pytorch_versions: str = ""
    components: str = ""
    maintenance_horizon: str = ""
    category: str = ""
    tags: Sequence[Tag] = ()
    governance_url: str = ""
    contributing_url: str = ""
    code_of_conduct_url: str = ""
    security_policy_url: str = ""
    openssf_badge: str = Project.Badge.NONE
    openssf_badge_url: str = ""
    latest_release: str = ""
    latest_release_url: str = ""
    # Addresses of people to invite as maintainers.
    invite: Sequence[str] = field(default_factory=tuple)


_http_url = URLValidator(schemes=["http", "https"])


def _url(value: str, key: str, errors: Errors) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        if "\x00" in value:  # the validator lets it through in a path; PostgreSQL does not
            raise ValidationError("null character")
        _http_url(value)
    except ValidationError:
        shown = value[:200].replace("\x00", "")
        errors.add(key, f"“{shown}” is not a web address: give one that starts with "
                        "https:// or http://.")
        return ""
    return value


def _max_length(name: str) -> int | None:
    return getattr(Project._meta.get_field(name), "max_length", None)


def _check(data: ApplicationInput, project: Project | None, *, full: bool,
           errors: Errors) -> dict:
    """The project's fields as stored, with every problem added to `errors`; `full` checks
    what a submission needs besides the format of what is given."""
    values: dict = {}
    for name in TEXT_FIELDS:
        value = getattr(data, name).strip()
        limit = _max_length(name)
        if "\x00" in value:
            errors.add(name, "Null characters are not allowed.")
        elif limit and len(value) > limit:
            errors.add(name, f"Keep this to {limit:,} characters (it has {len(value):,}).")
        values[name] = value
    if not values["name"]:
        errors.add("name", REQUIRED["name"])
    for name in URL_FIELDS:
        value = _url(getattr(data, name), name, errors)
        limit = _max_length(name)
        if limit and len(value) > limit:
            errors.add(name, f"Keep this address to {limit:,} characters.")
        values[name] = value
    license_text = data.license.strip()
    values["license"] = ""
    if license_text:
        try:
            values["license"] = canonical_license(license_text[:200])
        except ValueError as exc:
            errors.add("license", str(exc))
    if data.category and data.category not in Project.Category.values:
        errors.add("category", REQUIRED["category"])
    values["category"] = data.category if data.category in Project.Category.values else ""
    if data.openssf_badge not in Project.Badge.values:
        errors.add("openssf_badge", "Choose the badge level: none, passing, silver or gold.")
    values["openssf_badge"] = data.openssf_badge
    values["backing_organization"] = data.backing_organization
    if full:
        for name, message in REQUIRED.items():
            if not values.get(name) and name not in errors.found:
                errors.add(name, message)
        if (data.openssf_badge not in ("", Project.Badge.NONE)
                and not values["openssf_badge_url"] and "openssf_badge_url" not in errors.found):
            errors.add("openssf_badge_url", "Give the address of the project's OpenSSF Best "
                                            "Practices badge.")
    return values


def _check_repositories(urls: Sequence[str], project: Project | None, *, full: bool,
                        errors: Errors) -> list[str]:
    """The repository URLs, in order and each once; a repository another project registered
    is refused with a link to that project's page."""
    given = [u.strip() for u in urls if u.strip()]
    if len(given) > MAX_REPOSITORIES:
        errors.add("repositories", f"Give at most {MAX_REPOSITORIES} repositories.")
        return []
    checked: list[str] = []
    seen: set[str] = set()
    for url in given:
        if _url(url, "repositories", errors) and len(url) <= 500:
            normalized = normalize_repository_url(url)
            if normalized and normalized not in seen:
                seen.add(normalized)
                checked.append(url)
        elif len(url) > 500:
            errors.add("repositories", "Keep each repository's address to 500 characters.")
    taken = ProjectRepository.objects.filter(normalized_url__in=seen)
    if project is not None:
        taken = taken.exclude(project_id=project.pk)
    taken = taken.select_related("project").order_by("position", "pk")
    today = timezone.localdate()
    for repository in taken:
        other = repository.project
        message = (f"{repository.url} is already registered to {other.name}: see its page, "
                   f"{settings.SITE_URL}{other.get_absolute_url()}")
        if other.status == Project.Status.DECLINED and other.reapply_on and \
                other.reapply_on > today:
            message += f". {_reapply_refusal(other)}"
        errors.add("repositories", message)
    if full and not checked and "repositories" not in errors.found:
        errors.add("repositories", "Give the address of at least one repository.")
    return checked


def _check_invitations(addresses: Sequence[str], errors: Errors) -> list[str]:
    found: list[str] = []
    for address in (a.strip() for a in addresses):
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            errors.add("invite", f"“{address[:200]}” is not an e-mail address.")
            continue
        if address.lower() not in {a.lower() for a in found}:
            found.append(address)
    if len(found) > MAX_INVITATIONS:
        errors.add("invite", f"Invite at most {MAX_INVITATIONS} people at a time.")
    return found


def _free_slug(name: str) -> str:
    """A slug nobody has, never one of the fixed addresses under /projects/ (a project
    called "Apply" would be hidden behind the application page)."""
    base = (slugify(name)[:70].strip("-") or "project").lower()
    slug, n = base, 1
    while slug in RESERVED_SLUGS or Project.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _reapply_refusal(project: Project) -> str:
    assert project.reapply_on is not None
    return (f"{project.name} was declined on "
            f"{long_date(timezone.localdate(project.status_changed_at))}. You may apply "
            f"again from {long_date(project.reapply_on)}.")


def _too_early(project: Project | None) -> bool:
    """A declined project whose reapply date has not come yet."""
    return bool(project is not None and project.status == Project.Status.DECLINED
                and project.reapply_on and project.reapply_on > timezone.localdate())


def _write(project: Project, values: dict, repositories: list[str], tags: Sequence[Tag],
           logo: File | Literal[False] | None) -> set[str]:
    """Save the checked values; the names of the fields that changed."""
    changed = {name for name, value in values.items() if getattr(project, name) != value}
    for name, value in values.items():
        setattr(project, name, value)
    old_logo = project.logo.name
    if logo is False:
        project.logo = ""  # type: ignore[assignment]
    project.save()
    if isinstance(logo, File):
        project.logo.save(logo.name or "logo", logo, save=True)
    if project.logo.name != old_logo:
        changed.add("logo")
        if old_logo:
            delete_after_commit(project.logo.storage, old_logo)
    old_tags = set(project.tags.values_list("pk", flat=True))
    if old_tags != {t.pk for t in tags}:
        project.tags.set(tags)
        changed.add("tags")
    current = list(project.repositories.select_for_update().order_by("position", "pk"))
    if [r.url for r in current] != repositories:
        keep = {normalize_repository_url(u): i for i, u in enumerate(repositories)}
        ProjectRepository.objects.filter(project=project).exclude(
            normalized_url__in=keep).delete()
        existing = {r.normalized_url: r for r in project.repositories.all()}
        for i, url in enumerate(repositories):
            repository = existing.get(normalize_repository_url(url)) or ProjectRepository(
                project=project)
            repository.url, repository.position = url, i
            repository.save()
        changed.add("repositories")
    return changed


def _save(*, actor: User, data: ApplicationInput, project: Project | None, full: bool,
          logo: File | Literal[False] | None) -> tuple[Project, list[str]]:
    """Check and write the application; the addresses to invite. Raises ValidationError with
    every problem and writes nothing."""
    if project is not None:
        project = lock_project(project.pk)
        ensure_maintainer(project, actor)
        if not project.is_editable:
            raise DomainError(f"{project.name} is {project.get_status_display().lower()}: "
                              "its application can no longer be changed.")
    errors = Errors()
    values = _check(data, project, full=full, errors=errors)
    repositories = _check_repositories(data.repositories, project, full=full, errors=errors)
    invite = _check_invitations(data.invite, errors)
    if full and _too_early(project):
        assert project is not None
        errors.add(NON_FIELD_ERRORS, _reapply_refusal(project))
    errors.raise_any()
    creating = project is None
    if project is None:
        project = Project(slug=_free_slug(values["name"]), created_by=actor)
    try:
        with transaction.atomic():
            changed = _write(project, values, repositories, list(data.tags), logo)
    except IntegrityError as exc:  # another application took a repository or the address
        raise ValidationError({NON_FIELD_ERRORS: [
            "Another project was saved with one of these repositories, or with this name, a "
            "moment ago: check the application and try again."]}) from exc
    if creating:
        ProjectMaintainer.objects.create(project=project, user=actor)
        audit.record(project, actor=actor, action="project.create",
                     new={"status": project.status, "slug": project.slug})
    elif changed:
        audit.record(project, actor=actor, action="project.update",
                     note=audit.changed_note(sorted(changed)))
    return project, invite


@transaction.atomic
def application_save_draft(*, actor: User, data: ApplicationInput,
                           project: Project | None = None,
                           logo: File | Literal[False] | None = None) -> Project:
    """Save the application as it is, to finish later: only the format of what is given is
    checked (a web address, a licence, a repository nobody registered). Saving a project
    whose changes were requested, or that was declined, keeps its status until it is
    submitted again."""
    project, invite = _save(actor=actor, data=data, project=project, full=False, logo=logo)
    for address in invite:
        _invite(project, address, actor)
    return project


@transaction.atomic
def application_submit(*, actor: User, data: ApplicationInput, project: Project | None = None,
                       logo: File | Literal[False] | None = None) -> Project:
    """Submit the application in full: a new one, a draft, an application edited after
    changes were requested, or a declined project reapplying from its reapply date. Staff
    and the maintainers hear of it."""
    project, invite = _save(actor=actor, data=data, project=project, full=True, logo=logo)
    was = transition(project, Project.Status.SUBMITTED, action="project.submit", actor=actor,
                     submitted_at=timezone.now(), status_changed_at=timezone.now())
    for address in invite:
        _invite(project, address, actor)
    assert project.submitted_at is not None
    occurrence = project.submitted_at.isoformat()
    context = {"resubmitted": was != Project.Status.DRAFT}
    mail(project, "submitted", maintainer_emails(project), occurrence=occurrence, **context)
    mail(project, "submitted_staff", emails.staff_emails(), occurrence=occurrence, **context)
    return project


def invitation_token(invitation: MaintainerInvitation) -> str:
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def invitation_url(invitation: MaintainerInvitation) -> str:
    """The link the invitation e-mail carries: /projects/invitations/<token>/."""
    return f"{settings.SITE_URL}/projects/invitations/{invitation_token(invitation)}/"


def _invite(project: Project, email: str, actor: User) -> MaintainerInvitation | None:
    """Invite one address, unless it maintains the project or has a pending invitation."""
    if ProjectMaintainer.objects.filter(project=project, user__email__iexact=email).exists():
        return None
    if project.invitations.filter(status=MaintainerInvitation.Status.PENDING,
                                  email__iexact=email).exists():
        return None
    invitation = MaintainerInvitation.objects.create(project=project, email=email,
                                                     invited_by=actor)
    audit.record(invitation, actor=actor, action="maintainer_invitation.create",
                 new={"status": invitation.status, "email": email})
    emails.queue(kind="maintainer_invitation", obj=invitation, to=email,
                 template="projects/emails/maintainer_invitation",
                 context={"project": project, "inviter": actor, "invitation": invitation,
                          "url": invitation_url(invitation),
                          "expires_days": INVITATION_LIFETIME.days})
    return invitation


@transaction.atomic
def maintainer_invite(*, project: Project, email: str, actor: User) -> MaintainerInvitation:
    """A maintainer invites someone by e-mail to maintain the project with them."""
    project = lock_project(project.pk)
    ensure_maintainer(project, actor)
    errors = Errors()
    [address, *_] = _check_invitations([email], errors) or [""]
    if not address and "invite" not in errors.found:
        errors.add("invite", "Give the e-mail address of the person to invite.")
    errors.raise_any()
    if ProjectMaintainer.objects.filter(project=project, user__email__iexact=address).exists():
        raise DomainError(f"{address} maintains {project.name} already.")
    invitation = _invite(project, address, actor)
    if invitation is None:
        raise DomainError(f"{address} has a pending invitation already.")
    return invitation


def invitation_from_token(token: str) -> MaintainerInvitation:
    """The invitation a link names; DomainError for a forged, expired or unknown link."""
    pk = signed_id(token, salt=INVITATION_SALT, max_age=INVITATION_LIFETIME)
    invitation = (MaintainerInvitation.objects.select_related("project").filter(pk=pk)
                  .first())
    if invitation is None:
        raise DomainError("This invitation link is not valid.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> MaintainerInvitation:
    """The invited person, signed in with the invited address, becomes a maintainer. The
    link works once; following it again after accepting changes nothing."""
    found = invitation_from_token(token)
    lock_project(found.project_id)
    invitation = MaintainerInvitation.objects.select_for_update().get(pk=found.pk)
    if (invitation.status == MaintainerInvitation.Status.ACCEPTED
            and invitation.accepted_by_id == user.pk):
        return invitation
    if invitation.status != MaintainerInvitation.Status.PENDING:
        raise DomainError("This invitation has been used already.")
    if invitation.is_expired:
        raise DomainError("This invitation has expired. Ask for a new one.")
    if invitation.email.lower() != user.email.lower():
        raise DomainError(f"This invitation is for {invitation.email}. Log in with that "
                          "address to accept it.")
    transition(invitation, MaintainerInvitation.Status.ACCEPTED,
               action="maintainer_invitation.accept", actor=user, accepted_by=user,
               accepted_at=timezone.now())
    _, added = ProjectMaintainer.objects.get_or_create(project_id=invitation.project_id,
                                                       user=user)
    if added:
        audit.record(invitation.project, actor=user, action="project.maintainer_add",
                     new={"maintainer": user.email})
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: MaintainerInvitation, actor: User) -> MaintainerInvitation:
    project = lock_project(invitation.project_id)
    if not actor.is_staff:
        ensure_maintainer(project, actor)
    invitation = MaintainerInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status == MaintainerInvitation.Status.REVOKED:
        return invitation
    transition(invitation, MaintainerInvitation.Status.REVOKED,
               action="maintainer_invitation.revoke", actor=actor)
    return invitation
