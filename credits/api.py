"""The credits programme's part of the public API: the sponsor wall as JSON."""

from ninja import Field, Router, Schema
from ninja.decorators import decorate_view

from foundation.pagecache import cached_page

from . import programme_year, public

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
