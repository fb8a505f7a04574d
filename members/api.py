"""The membership programme's part of the public API: the member directory as JSON.

/api/members.json keeps the shape its consumers already read; the schemas below document it.
"""

from datetime import date

from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view

from foundation.pagecache import cached_page

from . import selectors

router = Router(tags=["members"])


class DirectoryMember(Schema):
    name: str = Field(description="The organization's name as the directory shows it.")
    website: str = Field(description="The organization's website; an empty string when it "
                                     "has given none.")
    logo: str | None = Field(description="Absolute URL of the organization's logo, or null "
                                         "when it has none.")
    founding_member: bool = Field(description="Whether the organization is one of the "
                                              "foundation's founding members.")
    member_since: date | None = Field(description="The day its current membership started "
                                                  "(ISO 8601), or null when not recorded.")


class DirectoryTier(Schema):
    tier: str = Field(description="The membership tier's name, e.g. Premier.")
    members: list[DirectoryMember] = Field(
        description="The tier's active members: founding members first, then by name.")


class Directory(Schema):
    tiers: list[DirectoryTier] = Field(
        description="Tiers that have active members, most prominent first; a tier without "
                    "active members is left out.")


PAGE_SIZE = 500


@router.get(
    "/members.json", response=Directory, url_name="members", summary="Member directory",
    description="Active members only, grouped by tier, as /members/ shows them: memberships "
                "awaiting payment, lapsed or ended are not listed. Without `page` the list is "
                f"whole, as its first consumers read it; with `page` it holds at most "
                f"{PAGE_SIZE} members, in the same shape (an empty `tiers` past the end).",
)
@decorate_view(cached_page)
def members(request, page: int | None = Query(None, ge=1, le=100_000, description=(
        f"Page number, from 1, of {PAGE_SIZE} members each; leave out for the whole list."))):
    groups = (selectors.directory() if page is None
              else selectors.directory((page - 1) * PAGE_SIZE, page * PAGE_SIZE))
    return {"tiers": [
        {
            "tier": group["tier"].name,
            "members": [
                {
                    "name": m.organization.display_name,
                    "website": m.organization.website,
                    "logo": request.build_absolute_uri(m.organization.logo.url)
                    if m.organization.logo else None,
                    "founding_member": m.organization.is_founding_member,
                    "member_since": m.starts_on,
                }
                for m in group["members"]
            ],
        }
        for group in groups
    ]}

