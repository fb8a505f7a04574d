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


def catalogue() -> dict:
    """Tiers with their fee bands and the benefits matrix, in three queries."""
    from .models import Benefit, Tier

    tiers = list(Tier.objects.prefetch_related("fee_bands"))
    benefits = list(Benefit.objects.prefetch_related("tiers"))
    matrix = [
        {"benefit": b, "tiers": [t in set(b.tiers.all()) for t in tiers]} for b in benefits
    ]
    return {"tiers": tiers, "matrix": matrix}


def directory() -> list[dict]:
    """Active members grouped by tier, most prominent tier first, in a constant number of
    queries whatever the number of members."""
    from .models import Membership, Tier

    memberships = (
        Membership.objects.active()
        .select_related("organization", "organization__testimonial", "tier")
        .order_by("tier__order", "-organization__is_founding_member",
                  "organization__display_name")
    )
    groups: dict[int, dict] = {
        t.pk: {"tier": t, "members": []} for t in Tier.objects.all()
    }
    for membership in memberships:
        groups[membership.tier_id]["members"].append(membership)
    return [g for g in groups.values() if g["members"]]


def membership_overview(organization: Organization) -> dict:
    """What /dashboard/ shows of the membership: the latest application and its timeline,
    the membership with its term and renewal date, each state in words, and the benefits
    checklist."""
    from foundation import audit
    from foundation.checklists.models import ChecklistItem

    from .history import described
    from .models import Membership
    from .statuses import state_in_words

    application = organization.applications.select_related("tier").first()
    current = list(
        Membership.objects.filter(organization=organization)
        .exclude(status=Membership.Status.ENDED)
        .select_related("tier").order_by("-created_at")
    )
    active = [m for m in current if m.status == Membership.Status.ACTIVE]
    membership = active[0] if active else (current[0] if current else None)
    pending = [m for m in current if m.status == Membership.Status.PENDING]
    upgrade = pending[0] if active and pending else None
    return {
        "application": application,
        "application_state": state_in_words(application) if application else "",
        "pending_upgrade": upgrade,
        "upgrade_state": state_in_words(upgrade) if upgrade else "",
        "timeline": described(audit.history(application).order_by("created_at"))
        if application else [],
        "membership": membership,
        "membership_state": state_in_words(membership) if membership else "",
        "checklist": list(ChecklistItem.objects.for_holder(membership)) if membership else [],
    }
