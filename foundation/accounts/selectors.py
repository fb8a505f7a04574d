"""Reads about organizations, scoped to the person asking: another organization is a 404."""

from django.db.models import Exists, OuterRef, Prefetch
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


def person_in(organization: Organization, user_id: int) -> User:
    """The person `user_id` if they hold a role in the organization; one row however many
    roles they hold (a join through the roles would give one per role)."""
    holds_a_role = OrganizationRole.objects.filter(organization=organization, user=OuterRef("pk"))
    person = User.objects.filter(Exists(holds_a_role), pk=user_id).first()
    if person is None:
        raise Http404("No such person in this organization.")
    return person


def people_of(organization: Organization) -> list[dict]:
    """Each person in the organization with the roles they hold."""
    people: dict[int, dict] = {}
    for role in OrganizationRole.objects.of(organization).select_related("user"):
        entry = people.setdefault(role.user_id, {"user": role.user, "roles": []})
        entry["roles"].append(role.role)
    return sorted(people.values(), key=lambda p: p["user"].email)
