"""The credit pool's section of /dashboard/: for each foundation-hosted project the person
maintains, its resource requests and its allocations (allocated, used, remaining, the
soonest expiry of what remains). Six queries however many projects and allocations."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from foundation.accounts import panels
from foundation.accounts.models import User
from projects.models import Project
from projects.selectors import maintained_projects

from .ledger.models import Account, Entry, LedgerTransaction
from .models import ResourceRequest
from .services import support

ZERO = Decimal("0.00")


@dataclass
class AllocationLine:
    allocation: Account
    allocated: Decimal = ZERO
    cash_cover: Decimal = ZERO
    used: Decimal = ZERO
    expired: Decimal = ZERO
    remaining: Decimal = ZERO
    soonest_expiry: date | None = None


def _lines(allocations: list[Account]) -> dict[int, AllocationLine]:
    lines = {a.pk: AllocationLine(a) for a in allocations}
    if not lines:
        return lines
    kinds = LedgerTransaction.Kind
    sums = (Entry.objects.filter(account__in=list(lines)).values("account", "transaction__kind")
            .annotate(total=Sum("amount"), cash=Sum("amount", filter=Q(
                amount__gt=0, lot__provider__isnull=True))))
    for row in sums:
        line, total = lines[row["account"]], row["total"] or ZERO
        line.remaining += total
        if row["transaction__kind"] in (kinds.ALLOCATION, kinds.CASH_COVER):
            line.allocated += total
            line.cash_cover += row["cash"] or ZERO
        elif row["transaction__kind"] == kinds.USAGE:
            line.used -= total
        elif row["transaction__kind"] == kinds.EXPIRY:
            line.expired -= total
    left = (Entry.objects.filter(account__in=list(lines), lot__valid_to__isnull=False)
            .values("account", "lot__valid_to").annotate(left=Sum("amount"))
            .filter(left__gt=0).order_by("lot__valid_to"))
    for row in left:
        line = lines[row["account"]]
        line.soonest_expiry = line.soonest_expiry or row["lot__valid_to"]
    return lines


def project_credits(user: User) -> dict[str, Any]:
    projects = list(maintained_projects(user).filter(status=Project.Status.HOSTED))
    if not projects:
        return {}
    asked: dict[int, list[ResourceRequest]] = defaultdict(list)
    for request in ResourceRequest.objects.filter(project__in=projects).select_related(
            "provider"):
        asked[request.project_id].append(request)
    allocations = list(Account.objects.filter(kind=Account.Kind.ALLOCATION,
                                              project__in=projects)
                       .select_related("provider", "project").order_by("provider__name"))
    support.with_open_counts(allocations)  # the support link's count of open requests
    lines = _lines(allocations)
    held: dict[int, list[AllocationLine]] = defaultdict(list)
    for allocation in allocations:
        assert allocation.project_id is not None
        held[allocation.project_id].append(lines[allocation.pk])
    return {"pool_projects": [{"project": p, "requests": asked[p.pk], "allocations": held[p.pk]}
                              for p in projects]}


def register() -> None:
    """After the projects' own section ("Your projects"), which joins when its module is first
    imported: importing it here puts it first whichever app is ready first."""
    import projects.receivers  # noqa: F401

    panels.person_sections.append(panels.PersonSection("credits/_project_credits.html",
                                                       project_credits))
