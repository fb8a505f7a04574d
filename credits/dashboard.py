"""Reads for the sponsor's own pages: the credits panel on the organization's page, its
sentence on /dashboard/ and its next steps. Each reads a constant number of queries, however
many pledges, contributions, items or organizations there are."""

from collections import defaultdict
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Sum

from credits import usd
from foundation.accounts.models import Organization
from foundation.checklists.models import ChecklistItem

from .models import Contribution, Level, Pledge, SponsorYear
from .models.pledges import COUNTED
from .selectors import _VALUE, Standing, level_for
from .services import support

# A status's badge (the stylesheet's .badge variants).
BADGES = {
    Pledge.Status.SUBMITTED: "info", Pledge.Status.CONFIRMED: "ok",
    Pledge.Status.FULFILLED: "ok", Pledge.Status.CANCELLED: "status-void",
    Contribution.Status.PLEDGED: "info", Contribution.Status.RECEIVED: "ok",
}


def pledges_of(organization: Organization) -> list[Pledge]:
    """The organization's pledges, newest first, each with its contributions, their
    providers and invoices (two queries)."""
    contributions = Contribution.objects.select_related("provider", "invoice").defer(
        "redemption_reference")
    pledges = list(Pledge.objects.filter(organization=organization)
                   .prefetch_related(Prefetch("contributions", queryset=contributions)))
    for pledge in pledges:
        pledge.badge = BADGES.get(pledge.status, "")
        for contribution in pledge.contributions.all():
            contribution.badge = BADGES.get(contribution.status, "")
    return pledges


def standing_from(pledges: list[Pledge], year: int, levels: list[Level]) -> Standing:
    """Where the organization stands in `year`, from its pledges already read."""
    total = sum((pledge.total for pledge in pledges
                 if pledge.year == year and pledge.status in COUNTED), Decimal("0.00"))
    return level_for(total, levels)


def checklist_of(organization: Organization, year: int) -> list[ChecklistItem]:
    """The year's benefits checklist with each item's owner (two queries)."""
    sponsor_year = SponsorYear.objects.filter(organization=organization, year=year).first()
    if sponsor_year is None:
        return []
    return list(ChecklistItem.objects.for_holder(sponsor_year).select_related("owner"))


def _years_of(organizations: list[Organization], year: int) -> dict[str, int]:
    """Each organization's SponsorYear in `year`, as its checklist's holder id."""
    return {str(pk): org_id for pk, org_id in SponsorYear.objects.filter(
        organization__in=organizations, year=year).values_list("pk", "organization_id")}


def waiting_items(organizations: list[Organization], year: int) -> dict[int, list[ChecklistItem]]:
    """Each organization's items of `year` that wait on its input (two queries)."""
    holders = _years_of(organizations, year)
    found: dict[int, list[ChecklistItem]] = defaultdict(list)
    if holders:
        for item in ChecklistItem.objects.filter(
                holder_type=ContentType.objects.get_for_model(SponsorYear),
                holder_id__in=list(holders), status=ChecklistItem.Status.WAITING_ON_MEMBER):
            found[holders[item.holder_id]].append(item)
    return found


def sentences(organizations: list[Organization], year: int) -> dict[int, str]:
    """Each sponsor's line on /dashboard/: its level this year and the gap, or what its
    pledge waits for (two queries). Organizations that never pledged get none."""
    totals: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in (Contribution.objects.filter(pledge__organization__in=organizations,
                                            pledge__year=year)
                .exclude(pledge__status=Pledge.Status.CANCELLED)
                .values("pledge__organization_id", "pledge__status")
                .annotate(total=Sum(_VALUE))):
        totals[row["pledge__organization_id"]][row["pledge__status"]] = row["total"]
    if not totals:
        return {}
    levels = list(Level.objects.all())
    lines = {}
    for org_id, by_status in totals.items():
        counted = sum((by_status.get(status, Decimal("0.00")) for status in COUNTED),
                      Decimal("0.00"))
        reached = level_for(counted, levels)
        words = []
        if reached.level:
            words.append(f"Cloud credit sponsor: {reached.level} for {year}, with "
                         f"{usd(counted)} confirmed.")
            if reached.next_level:
                words.append(f"{usd(reached.gap)} more reaches {reached.next_level}.")
        waiting = by_status.get(Pledge.Status.SUBMITTED)
        if waiting:
            words.append(f"A pledge of {usd(waiting)} for {year} waits for the foundation’s "
                         "confirmation.")
        lines[org_id] = " ".join(words)
    return lines


def support_of(organization: Organization) -> dict:
    """The sponsor's support requests from projects and its SLA figures, for its admins
    (two queries)."""
    return {"figures": support.sponsor_figures([organization.pk]).get(organization.pk),
            "requests": support.sponsor_requests(organization, limit=20)}
