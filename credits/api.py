"""The credits programme's part of the public API: the sponsor wall and the credit pool's
figures as JSON."""

from datetime import date
from decimal import Decimal

from ninja import Field, Router, Schema
from ninja.decorators import decorate_view

from foundation.pagecache import cached_page

from . import programme_year, public, transparency

router = Router(tags=["credits"])


class Sponsor(Schema):
    name: str = Field(description="The organization's name as the wall shows it.")
    level: str = Field(description="The level its confirmed contributions reach this year, "
                                   "e.g. Champion.")
    website: str = Field(description="The organization's website; an empty string when it "
                                     "has given none.")
    logo: str | None = Field(description="Absolute URL of the organization's logo, or null "
                                         "when it has none.")
    offering: str | None = Field(description="For the most prominent level (Champion): the "
                                             "sponsor's description of its offering, or null "
                                             "when it gave none. Null at the other levels.")


class SponsorLevel(Schema):
    level: str = Field(description="The level's name, e.g. Champion.")
    sponsors: list[Sponsor] = Field(description="The level's listed sponsors, by name.")


class Sponsors(Schema):
    year: int = Field(description="The programme year the levels count.")
    levels: list[SponsorLevel] = Field(
        description="Levels that have listed sponsors, most prominent first; a level without "
                    "one is left out.")


@router.get(
    "/sponsors.json", response=Sponsors, url_name="sponsors", summary="Cloud credit sponsors",
    description="The programme year's sponsors as /credits/ shows them: confirmed pledges of "
                "sponsors that agreed to be listed, grouped by level. No amount per sponsor "
                "beyond its level.",
)
@decorate_view(cached_page)
def sponsors(request):
    year = programme_year()
    wall = public.wall(year)
    top = wall[0].level.pk if wall else None
    groups = [group for group in wall if group.sponsors]
    return {"year": year, "levels": [
        {
            "level": group.level.name,
            "sponsors": [
                {
                    "name": s.organization.display_name,
                    "level": group.level.name,
                    "website": s.organization.website,
                    "logo": request.build_absolute_uri(s.organization.logo.url)
                    if s.organization.logo else None,
                    # `offering` is annotated by public.wall's query.
                    "offering": (s.offering or None)  # type: ignore[attr-defined]
                    if group.level.pk == top else None,
                }
                for s in group.sponsors
            ],
        }
        for group in groups
    ]}


class MonthUsage(Schema):
    month: str = Field(description="The month, as YYYY-MM.")
    used: Decimal = Field(description="USD: the provider's credits used in the month.")
    left: Decimal = Field(description="USD: received less used and expired at the month's "
                                      "end (today for the current month).")


class ProviderFigures(Schema):
    provider: str = Field(description="The cloud provider, e.g. AWS.")
    pledged: Decimal = Field(description="USD, as a string with cents (\"1200000.00\"): "
                                         "credits of confirmed pledges, received or not.")
    received: Decimal = Field(description="USD: credits received into the pool.")
    allocated: Decimal = Field(description="USD: credits staff allocated to hosted projects.")
    used: Decimal = Field(description="USD: credits the projects used.")
    expired: Decimal = Field(description="USD: credits that lapsed unused.")
    remaining: Decimal = Field(description="USD: credits in the pool, not yet allocated.")
    left: Decimal = Field(description="USD: received less used and expired (the pool and "
                                      "what projects hold but have not used).")
    monthly_pace: Decimal | None = Field(description="USD a month: the average usage of the "
                                                     "last three complete months; null "
                                                     "without usage.")
    exhausted_on: date | None = Field(description="When `left` runs out at `monthly_pace`; "
                                                  "null without usage.")
    monthly_usage: list[MonthUsage] = Field(description="The last 12 months, oldest first, "
                                                        "the current month (so far) last.")


class CashFigures(Schema):
    pledged: Decimal = Field(description="USD, as a string with cents: cash of confirmed "
                                         "pledges, paid or not.")
    received: Decimal = Field(description="USD: cash paid into the earmarked pool.")
    allocated: Decimal = Field(description="USD: cash allocated to projects as cash cover "
                                           "when a provider's credits ran short.")
    used: Decimal = Field(description="USD: cash cover the projects used.")
    remaining: Decimal = Field(description="USD: earmarked cash not yet allocated.")


class CreditPool(Schema):
    available: Decimal = Field(description="USD, as a string with cents: what the pool can "
                                           "still give projects (every provider's remaining "
                                           "credits and the earmarked cash).")
    providers: list[ProviderFigures] = Field(description="Each provider with pledged or "
                                                         "received credits, by name.")
    cash: CashFigures = Field(description="The earmarked cash pool.")


@router.get(
    "/credits.json", response=CreditPool, url_name="credits", summary="The credit pool",
    description="The credit pool's figures as /credits/transparency/ shows them, from its "
                "ledger, all sponsors and projects together: per provider what was pledged, "
                "received, allocated, used, expired and remains, its monthly usage and "
                "forecast, and the earmarked cash pool. Amounts are USD strings with two "
                "decimals; dates are ISO 8601. Nothing per sponsor or per project.",
)
@decorate_view(cached_page)
def credits(request):
    pool = transparency.transparency()
    burndowns = {b.provider.pk: b for b in pool.burndowns}
    providers = []
    for provider, f in pool.providers:
        burndown = burndowns.get(provider.pk)
        providers.append({
            "provider": provider.name, "pledged": f.pledged, "received": f.received,
            "allocated": f.allocated, "used": f.used, "expired": f.expired,
            "remaining": f.remaining,
            "left": burndown.left if burndown else f.received - f.used - f.expired,
            "monthly_pace": burndown.monthly_pace if burndown else None,
            "exhausted_on": burndown.exhausted_on if burndown else None,
            "monthly_usage": [{"month": m.start.strftime("%Y-%m"), "used": m.used,
                               "left": m.left} for m in burndown.months] if burndown else [],
        })
    cash = pool.cash
    return {"available": pool.available, "providers": providers, "cash": {
        "pledged": cash.pledged, "received": cash.received, "allocated": cash.allocated,
        "used": cash.used, "remaining": cash.remaining}}
