"""Reads for the credits programme: where an organization stands in a programme year, and
its pledges scoped to the person asking (another organization's is a 404)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Sum, When
from django.http import Http404

from foundation.accounts.models import Organization, OrganizationRole, Role, User

from .models import Contribution, Level, Pledge


@dataclass(frozen=True)
class Standing:
    """The level a total reaches, and what the next level still needs."""

    total: Decimal
    level: Level | None
    next_level: Level | None
    gap: Decimal  # to the next level; zero at the top


_VALUE = Case(When(kind=Contribution.Kind.CREDIT, then=F("face_value")),
              default=F("cash_amount"), output_field=DecimalField(max_digits=14,
                                                                  decimal_places=2))


def confirmed_total(organization: Organization, year: int) -> Decimal:
    """The year's confirmed contributions: face value of credit, amount of cash, in USD."""
    found = Contribution.objects.filter(
        pledge__organization=organization, pledge__year=year,
        pledge__status__in=[Pledge.Status.CONFIRMED, Pledge.Status.FULFILLED],
    ).aggregate(total=Sum(_VALUE))["total"]
    return found or Decimal("0.00")


def level_for(total: Decimal, levels: list[Level] | None = None) -> Standing:
    levels = sorted(levels if levels is not None else Level.objects.all(),
                    key=lambda level: level.threshold_usd)
    reached = [level for level in levels if level.threshold_usd <= total]
    above = [level for level in levels if level.threshold_usd > total]
    next_level = above[0] if above else None
    return Standing(total=total, level=reached[-1] if reached else None, next_level=next_level,
                    gap=next_level.threshold_usd - total if next_level else Decimal("0.00"))


def standing(organization: Organization, year: int,
             prospective: Decimal = Decimal("0.00")) -> Standing:
    """Where the organization stands in `year`, counting its confirmed contributions plus
    `prospective` (a pledge not yet confirmed, as the pledge page shows before submitting)."""
    return level_for(confirmed_total(organization, year) + prospective)


def is_admin(user: User, organization: Organization) -> bool:
    return OrganizationRole.objects.filter(organization=organization, user=user,
                                           role=Role.ADMIN).exists()


def pledge_for(user: User, pledge_id: int) -> Pledge:
    """A pledge of an organization the person holds a role in; anything else is a 404."""
    pledge = (Pledge.objects.filter(pk=pledge_id, organization__roles__user=user)
              .select_related("organization").distinct().first())
    if pledge is None:
        raise Http404("No such pledge.")
    return pledge
