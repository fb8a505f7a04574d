"""Every write about organizations, people and roles."""

from collections.abc import Iterable
from typing import Literal

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from foundation import audit, emails
from foundation.signed_links import signed_id
from foundation.transitions import DomainError, ensure_transition
from foundation.uploads import delete_after_commit

from .models import (
    INVITATION_LIFETIME,
    Invitation,
    Organization,
    OrganizationRole,
    Role,
    User,
)
from .signals import organization_changed

INVITATION_SALT = "members.invitation"


def _roles(values: Iterable[str]) -> list[str]:
    roles = sorted(set(values), key=list(Role.values).index)
    if not roles:
        raise DomainError("Choose at least one role.")
    for value in roles:
        if value not in Role.values:
            raise DomainError(f"Unknown role “{value}”.")
    return roles


def _free_slug(slug: str, *, organization_pk: int | None = None) -> str:
    """`slug` in lower case, the only form stored, if no other organization has it in any
    case: the address is a URL, and BOB-CORP would be bob-corp's."""
    slug = slug.lower()
    if not slug:
        raise DomainError("Choose an address for the organization: letters, digits and "
                          "hyphens.")
    if Organization.objects.filter(slug__iexact=slug).exclude(pk=organization_pk).exists():
        raise DomainError(f"The address “{slug}” is taken; choose another.")
    return slug


def _problems(org: Organization) -> dict[str, list[str]]:
    """What the forms would refuse: lengths, bounds, choices, and NUL bytes, which PostgreSQL
    cannot store."""
    try:
        org.full_clean(exclude=["logo"], validate_unique=False, validate_constraints=False)
        problems: dict[str, list[str]] = {}
    except ValidationError as exc:
        problems = exc.message_dict
    for field in org._meta.concrete_fields:
        if "\x00" in str(getattr(org, field.attname)):
            problems.setdefault(field.name, []).append("Null characters are not allowed.")
    return problems


def _save(org: Organization) -> None:
    """Save after the forms' checks, so a caller that skipped a form gets a clear refusal
    instead of a database error."""
    if problems := _problems(org):
        labels = {field.name: str(field.verbose_name) for field in org._meta.concrete_fields}
        raise DomainError(" ".join(
            f"{labels[name].capitalize()}: {message}"
            for name, messages in problems.items() for message in messages
        ))
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError as exc:
        raise DomainError(f"The address “{org.slug}” is taken; choose another.") from exc


@transaction.atomic
def organization_create(
    *,
    actor: User,
    legal_name: str,
    display_name: str,
    slug: str = "",
    website: str = "",
    country: str = "",
    type: str = Organization.Type.COMPANY,
    employees: int = 1,
    logo: File | None = None,
) -> Organization:
    """Create an organization with its creator as its first admin."""
    slug = _free_slug(slug or slugify(display_name))
    org = Organization(legal_name=legal_name, display_name=display_name, slug=slug,
                       website=website, country=country, type=type, employees=employees)
    _save(org)
    if logo is not None:
        org.logo.save(logo.name or "logo", logo, save=True)
    OrganizationRole.objects.create(organization=org, user=actor, role=Role.ADMIN)
    audit.record(org, actor=actor, action="organization.create", new={"slug": slug})
    return org


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    actor: User,
    legal_name: str | None = None,
    display_name: str | None = None,
    slug: str | None = None,
    website: str | None = None,
    country: str | None = None,
    type: str | None = None,
    employees: int | None = None,
    is_founding_member: bool | None = None,
    logo: File | Literal[False] | None = None,
) -> Organization:
    """Change the facts given (None leaves one as it is) and audit what changed. A new logo
    replaces the old one and False removes it; the old file is deleted once this commits."""
    given = {"legal_name": legal_name, "display_name": display_name, "slug": slug,
             "website": website, "country": country, "type": type, "employees": employees,
             "is_founding_member": is_founding_member}
    facts = {name: value for name, value in given.items() if value is not None}
    if slug is not None:
        facts["slug"] = _free_slug(slug, organization_pk=organization.pk)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    old = {name: str(getattr(org, name)) for name in facts}
    old_logo = org.logo.name
    for name, value in facts.items():
        setattr(org, name, value)
    if logo is False:
        org.logo = ""
    _save(org)
    if isinstance(logo, File):
        org.logo.save(logo.name or "logo", logo, save=True)
    logo_changed = org.logo.name != old_logo
    if old_logo and logo_changed:
        delete_after_commit(org.logo.storage, old_logo)
    new = {name: str(value) for name, value in facts.items()}
    changed = {k for k in new if old[k] != new[k]} | ({"logo"} if logo_changed else set())
    if changed:
        audit.record(
            org, actor=actor, action="organization.update",
            old={k: old.get(k) for k in changed},
            new={k: new.get(k, "removed" if logo is False else "new logo") for k in changed},
        )
    if changed:
        organization_changed.send(
            sender=Organization, organization=org,
            changes={k: (old.get(k), new.get(k)) for k in changed if k != "logo"},
            new_logo=isinstance(logo, File))
    return org


def roles_of(user: User, organization: Organization) -> set[str]:
    return set(
        OrganizationRole.objects.filter(organization=organization, user=user).values_list(
            "role", flat=True
        )
    )


@transaction.atomic
def roles_set(*, organization: Organization, user: User, roles: Iterable[str], actor: User) -> None:
    """Give `user` exactly `roles` in the organization (none removes them from it). The last
    admin cannot lose the admin role."""
    roles = list(roles)
    wanted = set(_roles(roles)) if roles else set()
    Organization.objects.select_for_update().get(pk=organization.pk)
    current = roles_of(user, organization)
    if Role.ADMIN in current and Role.ADMIN not in wanted:
        other_admins = OrganizationRole.objects.filter(
            organization=organization, role=Role.ADMIN
        ).exclude(user=user)
        if not other_admins.exists():
            raise DomainError("An organization needs at least one admin.")
    if wanted == current:
        return
    OrganizationRole.objects.filter(
        organization=organization, user=user, role__in=current - wanted
    ).delete()
    OrganizationRole.objects.bulk_create(
        OrganizationRole(organization=organization, user=user, role=r) for r in wanted - current
    )
    audit.record(
        organization, actor=actor, action="roles.set",
        old={"user": user.email, "roles": sorted(current)},
        new={"user": user.email, "roles": sorted(wanted)},
    )


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def invitation_url(invitation: Invitation) -> str:
    from django.conf import settings

    path = reverse("invitation_accept", kwargs={"token": invitation_token(invitation)})
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def invitation_create(
    *, organization: Organization, email: str, roles: Iterable[str], actor: User
) -> Invitation:
    email = email.strip()
    role_list = _roles(roles)
    members = OrganizationRole.objects.filter(organization=organization)
    if members.filter(user__email__iexact=email).exists():
        raise DomainError(f"{email} already belongs to {organization}.")
    if organization.invitations.filter(
        status=Invitation.Status.PENDING, email__iexact=email
    ).exists():
        raise DomainError(f"{email} has a pending invitation already.")
    invitation = Invitation.objects.create(
        organization=organization, email=email, roles=role_list, invited_by=actor
    )
    audit.record(
        invitation, actor=actor, action="invitation.create", new={"status": invitation.status}
    )
    emails.queue(
        kind="invitation",
        obj=invitation,
        to=email,
        template="accounts/emails/invitation",
        context={
            "invitation": invitation,
            "organization": organization,
            "inviter": actor,
            "url": invitation_url(invitation),
            "expires_at": invitation.expires_at,
        },
    )
    return invitation


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link names. Raises DomainError for a forged, expired or used link."""
    pk = signed_id(token, salt=INVITATION_SALT, max_age=INVITATION_LIFETIME)
    invitation = Invitation.objects.select_related("organization").filter(pk=pk).first()
    if invitation is None:
        raise DomainError("This invitation link is not valid.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Invitation:
    """Add the invited roles to `user`. The link works once, for the invited address only."""
    invitation = invitation_from_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status == Invitation.Status.ACCEPTED and invitation.accepted_by_id == user.pk:
        return invitation
    if invitation.status != Invitation.Status.PENDING:
        raise DomainError("This invitation has been used already.")
    if invitation.is_expired:
        raise DomainError("This invitation has expired. Ask for a new one.")
    if invitation.email.lower() != user.email.lower():
        raise DomainError(
            f"This invitation is for {invitation.email}. Log in with that address to accept it."
        )
    ensure_transition(invitation.status, Invitation.Status.ACCEPTED, Invitation.ALLOWED_TRANSITIONS)
    current = roles_of(user, invitation.organization)
    OrganizationRole.objects.bulk_create(
        OrganizationRole(organization=invitation.organization, user=user, role=r)
        for r in invitation.roles
        if r not in current
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit.record(
        invitation, actor=user, action="invitation.accept",
        old={"status": Invitation.Status.PENDING}, new={"status": invitation.status},
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status == Invitation.Status.REVOKED:
        return invitation
    ensure_transition(invitation.status, Invitation.Status.REVOKED, Invitation.ALLOWED_TRANSITIONS)
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status"])
    audit.record(
        invitation, actor=actor, action="invitation.revoke",
        old={"status": Invitation.Status.PENDING}, new={"status": invitation.status},
    )
    return invitation
