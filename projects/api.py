"""The projects programme's part of the public API: the landscape as JSON, the same items
as /projects/landscape.yml in the same grouping, a page at a time (the whole list is the
file's)."""

from datetime import date
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view

from foundation.pagecache import cached_page

from . import landscape

router = Router(tags=["projects"])


class LandscapeItem(Schema):
    name: str = Field(description="The project's name; a member's ends in \" (member)\".")
    project: str | None = Field(None, description="The maturity, as the landscape2 format "
                                                  "writes it: foundation (hosted by the "
                                                  "foundation), archived, or null for an "
                                                  "ecosystem project or a member.")
    second_path: list[str] | None = Field(None, description="For a hosted project, its place "
                                                            "among the categories, e.g. "
                                                            "\"Training / General\".")
    description: str | None = Field(None, description="What the project does.")
    homepage_url: str | None = Field(None, description="Its website.")
    logo: str | None = Field(None, description="Absolute URL of its logo, or null when it has "
                                               "none.")
    repo_url: str | None = Field(None, description="Its main repository.")
    crunchbase: str | None = Field(None, description="Its Crunchbase page, if known.")
    joined_at: date | None = Field(None, description="For a member, the day its current "
                                                     "membership started.")
    extra: dict[str, Any] | None = Field(None, description="The landscape2 `extra` fields; "
                                                           "`accepted` is the day a hosted "
                                                           "project joined the foundation.")


class LandscapeSubcategory(Schema):
    name: str = Field(description="The subcategory within its category (e.g. Computer Vision, "
                                  "or a membership tier).")
    items: list[LandscapeItem] = Field(description="Its projects or members, by name.")


class LandscapeCategory(Schema):
    name: str = Field(description="The category: the ecosystem's (e.g. Training), then "
                                  "\"PyTorch Projects\" for the hosted ones and \"PyTorch "
                                  "Members\" with a subcategory per tier.")
    subcategories: list[LandscapeSubcategory] = Field(description="Its subcategories, "
                                                                    "each with its items.")


class Landscape(Schema):
    count: int = Field(description="How many items the whole landscape has, on every page.")
    next: str | None = Field(description="The next page's URL, or null on the last page.")
    categories: list[LandscapeCategory] = Field(description="This page's items by category, "
                                                            "in the order landscape.yml gives "
                                                            "them; a category or subcategory "
                                                            "that runs across pages is on "
                                                            "each.")


PAGE_SIZE = 500


@router.get(
    "/projects.json", response=Landscape, url_name="projects", summary="Project landscape",
    description="The landscape as /projects/landscape.yml gives it in the landscape2 format, "
                "a page at a time: each page holds up to "
                f"{PAGE_SIZE} items of each part, in this order: ecosystem projects (archived "
                "ones marked) by category, the foundation-hosted projects, and the members by "
                "tier. Without `page` it is the first page; `count` is the number of items in "
                "all and `next` the next page's URL while any part has more (an empty "
                "`categories` past the end). The whole list in one download is "
                "/projects/landscape.yml.",
)
@decorate_view(cached_page)
def projects(request, page: int = Query(1, ge=1, le=100_000, description=(
        f"Page number, from 1, of up to {PAGE_SIZE} items of each part."))):
    def logo(file) -> str | None:
        return request.build_absolute_uri(file.url) if file else None

    sizes = landscape.count()
    start = (page - 1) * PAGE_SIZE
    return {
        "count": sum(sizes),
        "next": (request.build_absolute_uri(f"{request.path}?page={page + 1}")
                 if start + PAGE_SIZE < max(sizes) else None),
        "categories": landscape.categories(slice(start, start + PAGE_SIZE), logo=logo),
    }
