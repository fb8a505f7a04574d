"""Reads of the membership programme: the catalogue, the directory, an organization's
membership."""

from django.db.models import Count, OuterRef, Q, Subquery

from foundation.accounts.models import Organization


def catalogue() -> dict:
    """Tiers with their fee bands and the benefits matrix, in three queries."""
    from .models import Benefit, Tier

    tiers = list(Tier.objects.prefetch_related("fee_bands"))
    benefits = list(Benefit.objects.prefetch_related("tiers"))
    matrix = [
        {"benefit": b, "tiers": [t in set(b.tiers.all()) for t in tiers]} for b in benefits
    ]
    return {"tiers": tiers, "matrix": matrix}


def directory(start: int | None = None, stop: int | None = None) -> list[dict]:
    """Active members grouped by tier, most prominent tier first, in a constant number of
    queries whatever the number of members; `start` and `stop` slice the members in that
    order in the database."""
    from .models import Membership

    return _grouped(_listed(Membership.objects.active())[start:stop])


def _listed(memberships):
    """In directory order: by tier, founding members first, then by name."""
    return (memberships.select_related("organization", "organization__testimonial", "tier")
            .order_by("tier__order", "tier_id", "-organization__is_founding_member",
                      "organization__display_name", "pk"))


def _grouped(memberships) -> list[dict]:
    """Memberships in directory order as one group per tier that has any."""
    groups: list[dict] = []
    for membership in memberships:
        if not groups or groups[-1]["tier"].pk != membership.tier_id:
            groups.append({"tier": membership.tier, "members": []})
        groups[-1]["members"].append(membership)
    return groups


DIRECTORY_PAGE = 120


def directory_page(page: int, *, tier: str = "", name: str = "") -> tuple[list[dict], bool]:
    """The directory a screen at a time: the first tier (Premier) and the founding members
    always, the other tiers' members DIRECTORY_PAGE at a time. Returns the groups and whether
    a next page has more. `tier` (a slug) and `name` (part of a name, any case) narrow it.
    Three queries, each reading only the rows shown."""
    from .models import Membership

    active = Membership.objects.active()
    # The most prominent tier with active members, never paged.
    whole = active.order_by("tier__order", "tier_id").values_list("tier_id", flat=True).first()
    # PostgreSQL refuses a NUL byte in a query: no name or tier holds one.
    shown = active.none() if "\x00" in tier + name else active
    if tier:
        shown = shown.filter(tier__slug=tier)
    if name:
        shown = shown.filter(organization__display_name__icontains=name)
    always = Q(tier_id=whole) | Q(organization__is_founding_member=True)
    start, end = (page - 1) * DIRECTORY_PAGE, page * DIRECTORY_PAGE
    paged = list(_listed(shown.exclude(always))[start:end + 1])  # one more: is there a next?
    # A stable sort: each list keeps the database's order of names within a tier.
    members = sorted([*_listed(shown.filter(always)), *paged[:DIRECTORY_PAGE]],
                     key=lambda m: (m.tier.order, m.tier_id,
                                    not m.organization.is_founding_member))
    return _grouped(members), len(paged) > DIRECTORY_PAGE


def membership_overview(organization: Organization) -> dict:
    """What the organization's page shows of the membership: the latest application and its
    timeline, the membership with its term and renewal date, each state in words, and the
    benefits checklist."""
    from foundation import audit
    from foundation.accounts.history import described
    from foundation.checklists.models import ChecklistItem

    overview = membership_overviews([organization])[organization.pk]
    application, membership = overview["application"], overview["membership"]
    return {
        **overview,
        "timeline": described(audit.history(application).order_by("created_at"))
        if application else [],
        "checklist": list(ChecklistItem.objects.for_holder(membership)) if membership else [],
    }


def membership_overviews(organizations: list[Organization]) -> dict[int, dict]:
    """Each organization's latest application, its membership (the active one, else the
    newest not ended), an upgrade on the way and each state in words, in four queries
    however many organizations: /dashboard/ shows them all."""
    from .models import Application, Membership
    from .statuses import OPEN_TERMS, state_in_words

    pks = [org.pk for org in organizations]
    latest = (Application.objects.filter(organization=OuterRef("organization"))
              .order_by("-submitted_at", "-pk").values("pk")[:1])
    applications = {
        a.organization_id: a for a in Application.objects.filter(
            organization__in=pks, pk=Subquery(latest)).select_related("tier", "membership")}
    current: dict[int, list] = {pk: [] for pk in pks}
    for m in (Membership.objects.filter(organization__in=pks)
              .exclude(status=Membership.Status.ENDED)
              .select_related("tier").prefetch_related(OPEN_TERMS).order_by("-created_at")):
        current[m.organization_id].append(m)
    overviews = {}
    for pk in pks:
        application = applications.get(pk)
        active = [m for m in current[pk] if m.status == Membership.Status.ACTIVE]
        membership = active[0] if active else (current[pk][0] if current[pk] else None)
        pending = [m for m in current[pk] if m.status == Membership.Status.PENDING]
        upgrade = pending[0] if active and pending else None
        overviews[pk] = {
            "application": application,
            "application_state": state_in_words(application) if application else "",
            "pending_upgrade": upgrade,
            "upgrade_state": state_in_words(upgrade) if upgrade else "",
            "membership": membership,
            "membership_state": state_in_words(membership) if membership else "",
        }
    return overviews


def membership_todo(organizations: list[Organization]) -> dict[int, dict]:
    """What the programme waits for from each organization, in three queries however many:
    its open application (to sign, or to change) and the benefits of its active membership
    that wait on the member's input."""
    from django.contrib.contenttypes.models import ContentType

    from foundation.checklists.models import ChecklistItem

    from .models import Application, Membership

    pks = [org.pk for org in organizations]
    todo: dict[int, dict] = {pk: {"application": None, "waiting": []} for pk in pks}
    for application in Application.objects.open().filter(organization__in=pks) \
            .select_related("tier"):
        todo[application.organization_id]["application"] = application
    holders = {str(pk): org for pk, org in Membership.objects.active()
               .filter(organization__in=pks).values_list("pk", "organization_id")}
    for item in ChecklistItem.objects.filter(
            holder_type=ContentType.objects.get_for_model(Membership), holder_id__in=holders,
            status=ChecklistItem.Status.WAITING_ON_MEMBER):
        todo[holders[item.holder_id]]["waiting"].append(item)
    return todo


def members_per_tier() -> dict:
    """The home page's figure: active members per tier, in one query."""
    from .models import Membership, Tier

    tiers = Tier.objects.annotate(
        members=Count("memberships", filter=Q(memberships__status=Membership.Status.ACTIVE))
    ).order_by("order").values("name", "members")
    return {"members_per_tier": list(tiers)}
