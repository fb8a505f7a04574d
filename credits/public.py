"""What the public sees of the credits programme: the programme as data, the wall of listed
sponsors and the year's figures, each read in one query whatever the number of sponsors.

The wall follows the rule by which the portal delivers the "placement on the website" benefit
(services/benefits.py): an organization whose year has a level and that has a confirmed pledge
it agreed to list. Nothing here reads an amount per sponsor or a redemption reference."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from . import programme_year, usd
from .models import Benefit, Contribution, Level, Pledge, Provider, SponsorYear
from .models.pledges import COUNTED


def programme() -> dict[str, Any]:
    """The levels from the lowest, each with the benefits it adds to the level below (they are
    cumulative), and the providers whose credits the programme accepts."""
    levels = list(Level.objects.all())
    added: dict[int, list[Benefit]] = {level.pk: [] for level in levels}
    for benefit in Benefit.objects.only("title", "description", "level_id"):
        added[benefit.level_id].append(benefit)
    return {
        "levels": [{"level": level, "below": levels[i - 1] if i else None,
                    "benefits": added[level.pk]} for i, level in enumerate(levels)],
        "providers": list(Provider.objects.accepted().only("name")),
    }


@dataclass
class WallLevel:
    level: Level
    sponsors: list[SponsorYear] = field(default_factory=list)


def wall(year: int) -> list[WallLevel]:
    """Every level, most prominent first, with its listed sponsors of `year` by name; a level
    without one has an empty list (the page invites a sponsor there). The offering is the one
    the sponsor gave with its latest listed pledge."""
    listed = Pledge.objects.listed(year).filter(organization=OuterRef("organization_id"))
    offering = (listed.exclude(offering_description="").order_by("-confirmed_at", "-pk")
                .values("offering_description")[:1])
    sponsors = (SponsorYear.objects.filter(Exists(listed), year=year, level__isnull=False)
                .annotate(offering=Subquery(offering))
                .select_related("organization")
                .only("level_id", "organization__display_name", "organization__website",
                      "organization__logo")
                .order_by("organization__display_name", "pk"))
    levels = sorted(Level.objects.all(), key=lambda level: (level.order, -level.threshold_usd))
    groups = {level.pk: WallLevel(level) for level in levels}
    for sponsor in sponsors:
        assert sponsor.level_id is not None  # filtered above
        groups[sponsor.level_id].sponsors.append(sponsor)
    return list(groups.values())


def year_figures(year: int) -> dict[str, Any]:
    """The year's confirmed contributions, all sponsors together, and how many sponsors."""
    found = Contribution.objects.filter(pledge__year=year, pledge__status__in=COUNTED).aggregate(
        total=Sum(Coalesce("face_value", "cash_amount")),
        sponsors=Count("pledge__organization", distinct=True))
    total = found["total"] or Decimal("0.00")
    return {"year": year, "total": total, "total_words": usd(total),
            "total_short": in_millions(total), "sponsors": found["sponsors"]}


def in_millions(amount: Decimal) -> str:
    """A headline figure that fits a small box: $2.55 million from a million up, below that
    as usd() writes it ($750,000)."""
    if amount < 1_000_000:
        return usd(amount)
    return f"${(amount / 1_000_000).quantize(Decimal('0.01')).normalize():f} million"


def home_figures() -> dict[str, Any]:
    """The home page's figures: the programme year's sponsors and what they pledged."""
    return {"credits_figures": year_figures(programme_year())}
