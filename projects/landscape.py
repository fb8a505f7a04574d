"""The landscape in the landscape2 data format, generated from the records: what
/projects/landscape.yml serves and a landscape2 build consumes, and what /api/projects.json
gives as JSON.

It follows the foundation's own file (see projects.landscape_file): the ecosystem projects
(candidates among them, and archived ones marked `project: archived`) under their category
and subcategory, the foundation-hosted ones under "PyTorch Projects" marked
`project: foundation` with their place among the categories as `second_path` and the day they
joined as `extra.accepted`, then the members by tier. Rows are read with `.iterator()` in the
order they are written, a category or subcategory heading written when it changes, so the
memory used does not grow with the number of projects: three queries whatever the size. The
file is built ahead and stored (projects.landscape_build); the API gives it a page at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import yaml
from django.db.models import Case, CharField, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, NullIf

from .landscape_file import (
    ARCHIVED,
    HOSTED,
    HOSTED_CATEGORY,
    HOSTED_SUBCATEGORY,
    MEMBER_SUFFIX,
    MEMBERS_CATEGORY,
)
from .models import Project, ProjectRepository

CHUNK = 500
# libyaml's dumper where PyYAML was built with it: several times faster than pure Python.
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# Where a project that came through the portal (no landscape place of its own) stands.
DEFAULT_SUBCATEGORY = "General"
# Item keys written in this order, as the foundation's file has them; other kept keys follow.
_FIRST_KEYS = ("name", "project", "second_path", "description", "homepage_url", "logo",
               "repo_url", "crunchbase")


def _projects(hosted: bool):
    """Public projects in export order, each with its place and first repository annotated."""
    first_repo = (ProjectRepository.objects.filter(project=OuterRef("pk"))
                  .order_by("position", "pk").values("url")[:1])
    fallback = Case(When(category=Project.Category.VERTICAL, then=Value("Vertical")),
                    default=Value("Platform"), output_field=CharField())
    projects = (Project.objects.public()
                .annotate(place_category=Coalesce(NullIf(F("landscape_category"), Value("")),
                                                  fallback),
                          place_subcategory=Coalesce(
                              NullIf(F("landscape_subcategory"), Value("")),
                              Value(DEFAULT_SUBCATEGORY)),
                          repo_url=Subquery(first_repo))
                .only("name", "slug", "status", "description", "summary", "homepage_url",
                      "logo", "crunchbase_url", "extra", "landscape_item", "joined_on",
                      "category", "landscape_category", "landscape_subcategory"))
    if hosted:
        return projects.filter(status=Project.Status.HOSTED).order_by("joined_on", "name", "pk")
    return (projects.filter(~Q(status=Project.Status.HOSTED))
            .order_by("place_category", "place_subcategory", "name", "pk"))


def project_item(project: Project, logo: Callable[[Any], str | None]) -> dict[str, Any]:
    """A project as a landscape2 item (plain data, keys in the file's order)."""
    kept = dict(project.landscape_item or {})
    item: dict[str, Any] = {"name": project.name}
    if project.status == Project.Status.HOSTED:
        item["project"] = HOSTED
        item["second_path"] = kept.pop("second_path", None) or [
            f"{project.place_category} / {project.place_subcategory}"]  # type: ignore[attr-defined]
    elif project.status == Project.Status.ARCHIVED:
        item["project"] = ARCHIVED
    kept.pop("second_path", None)
    item["description"] = project.description or project.summary
    item["homepage_url"] = project.homepage_url or project.repo_url or ""  # type: ignore[attr-defined]
    if project.logo:
        item["logo"] = logo(project.logo)
    if project.repo_url:  # type: ignore[attr-defined]
        item["repo_url"] = project.repo_url  # type: ignore[attr-defined]
    item["crunchbase"] = project.crunchbase_url or None
    for key, value in kept.items():
        if key not in item and key not in ("extra", "category", "subcategory"):
            item[key] = value
    extra = dict(project.extra or {})
    if project.joined_on:
        extra["accepted"] = project.joined_on.isoformat()
    if extra:
        item["extra"] = extra
    return item


def member_item(membership, logo: Callable[[Any], str | None]) -> dict[str, Any]:
    org = membership.organization
    item: dict[str, Any] = {"name": f"{org.display_name}{MEMBER_SUFFIX}",
                            "homepage_url": org.website or None}
    if org.logo:
        item["logo"] = logo(org.logo)
    if membership.starts_on:
        item["joined_at"] = membership.starts_on.isoformat()
    return item


def _members():
    from members.models import Membership

    return (Membership.objects.active().select_related("organization", "tier")
            .only("starts_on", "tier__name", "tier__order", "organization__display_name",
                  "organization__website", "organization__logo")
            .order_by("tier__order", "tier_id", "organization__display_name", "pk"))


def _file_name(file) -> str | None:
    return os.path.basename(file.name) if file else None


def _parts():
    """The file's three parts in order: rows, their (category, subcategory), their item."""
    return [(_projects(hosted=False), lambda p: (p.place_category, p.place_subcategory),
             project_item),
            (_projects(hosted=True), lambda p: (HOSTED_CATEGORY, HOSTED_SUBCATEGORY),
             project_item),
            (_members(), lambda m: (MEMBERS_CATEGORY, m.tier.name), member_item)]


def sections(page: slice = slice(None),
             logo: Callable[[Any], str | None] = _file_name,
             ) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(category, subcategory, item) for every item in the file's order, read in chunks.
    `page` slices each part (ecosystem projects, hosted projects, members) in the database,
    so a page of the API reads all three parts whatever their sizes. `logo` writes a logo:
    its file name in the file, its URL in the API."""
    for rows, place, write in _parts():
        for row in rows[page].iterator(chunk_size=CHUNK):
            category, subcategory = place(row)
            yield category, subcategory, write(row, logo)


def count() -> list[int]:
    """The number of items in each part (ecosystem projects, hosted projects, members)."""
    return [rows.count() for rows, _place, _write in _parts()]


def _dump(value: Any, indent: int) -> str:
    text = yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=10_000)
    pad = " " * indent
    return "".join(pad + line + "\n" for line in text.splitlines())


def yaml_chunks() -> Iterator[str]:
    """The landscape2 file, a few items at a time."""
    yield "landscape:\n"
    category = subcategory = None
    buffer: list[str] = []
    for item_category, item_subcategory, item in sections():
        if item_category != category:
            category, subcategory = item_category, None
            buffer.append("  - category:\n" + _dump({"name": category}, 4)
                          + "    subcategories:\n")
        if item_subcategory != subcategory:
            subcategory = item_subcategory
            buffer.append("      - subcategory:\n" + _dump({"name": subcategory}, 8)
                          + "        items:\n")
        buffer.append("          - item:\n" + _dump(item, 12))
        if len(buffer) >= 50:
            yield "".join(buffer)
            buffer = []
    if category is None:
        buffer.append("  []\n")
    if buffer:
        yield "".join(buffer)


def categories(page: slice = slice(None), logo: Callable[[Any], str | None] = _file_name,
               ) -> list[dict[str, Any]]:
    """The same items as plain data grouped as the file groups them, for the JSON API;
    `page` slices each part (see `sections`)."""
    grouped: list[dict[str, Any]] = []
    for category, subcategory, item in sections(page, logo):
        if not grouped or grouped[-1]["name"] != category:
            grouped.append({"name": category, "subcategories": []})
        subs = grouped[-1]["subcategories"]
        if not subs or subs[-1]["name"] != subcategory:
            subs.append({"name": subcategory, "items": []})
        subs[-1]["items"].append(item)
    return grouped
