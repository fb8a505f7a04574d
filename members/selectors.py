"""Reads about organizations, scoped to the person asking: another organization is a 404."""

from django.db.models import Prefetch
from django.http import Http404

from .models import Organization, OrganizationRole, Role, User


def organizations_of(user: User):
    return (
        Organization.objects.filter(roles__user=user)
        .distinct()
        .prefetch_related(
            Prefetch(
                "roles", queryset=OrganizationRole.objects.filter(user=user), to_attr="my_roles"
            )
        )
    )


def organization_for(user: User, slug: str, *, admin: bool = False) -> Organization:
    """The organization `slug` if `user` holds a role in it (the admin role if `admin`)."""
    roles = OrganizationRole.objects.filter(user=user, organization__slug=slug)
    if admin:
        roles = roles.filter(role=Role.ADMIN)
    role = roles.select_related("organization").first()
    if role is None:
        raise Http404("No such organization.")
    return role.organization


def people_of(organization: Organization) -> list[dict]:
    """Each person in the organization with the roles they hold."""
    people: dict[int, dict] = {}
    for role in OrganizationRole.objects.of(organization).select_related("user"):
        entry = people.setdefault(role.user_id, {"user": role.user, "roles": []})
        entry["roles"].append(role.role)
    return sorted(people.values(), key=lambda p: p["user"].email)
