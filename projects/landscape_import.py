"""Loading a landscape2 file (`manage.py import_landscape FILE [--logos DIR]`, and the demo):
an upsert of its projects, so a foundation can bring its whole current list and load it again
after editing it.

Everything is checked first: the file (projects.landscape_file refuses it with the line and
the reason), names and repositories that two items would share, and every logo (made to fit
the upload rules, see projects.landscape_logos). Then one transaction writes it all, so a
refused file writes nothing. An item is matched to a project by its repository URL, then by
its slug; the members' category is the membership programme's record, not projects, and is
left out. Items in the hosted category or marked `project: foundation` are foundation-hosted,
`project: archived` archived, the others ecosystem projects.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator, slugify

from foundation import audit
from foundation.uploads import delete_after_commit

from .landscape_file import Item, LandscapeError, read
from .landscape_logos import LogoProblem, fit_logo
from .models import Project, ProjectRepository, normalize_repository_url
from .services.application import RESERVED_SLUGS

STATUSES = {"hosted": Project.Status.HOSTED, "archived": Project.Status.ARCHIVED,
            "ecosystem": Project.Status.ECOSYSTEM}
# The foundation's "Modeling" category holds the domain-specific libraries (vision, language,
# science, biology); training and optimization tools serve any domain.
VERTICAL_CATEGORIES = {"Modeling"}
# Keys the project's own fields hold; the others are kept in landscape_item as they came.
_OWN_KEYS = {"item", "name", "project", "description", "homepage_url", "logo", "repo_url",
             "crunchbase", "extra"}


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    members_left_out: int = 0
    notes: list[str] = field(default_factory=list)  # logos changed to fit or refused

    def __str__(self) -> str:
        lines = [f"{self.created:,} created, {self.updated:,} updated, "
                 f"{self.unchanged:,} unchanged; {self.members_left_out:,} member "
                 f"item{'s' if self.members_left_out != 1 else ''} left out (members are "
                 "the membership programme's records)."]
        return "\n".join(lines + self.notes)


@dataclass
class _Planned:
    item: Item
    slug: str
    logo: ContentFile[bytes] | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def _slug_for(name: str) -> str:
    """The item's slug, the same at every import so the item is found again by it."""
    slug = slugify(name)[:80].strip("-") or "project"
    return f"{slug}-2" if slug in RESERVED_SLUGS else slug


def _plan(items: list[Item], raws: dict[int, dict[str, Any]], logos: Path | None,
          report: Report) -> list[_Planned]:
    """Check what the file asks for as a whole and prepare the logos, writing nothing."""
    planned: list[_Planned] = []
    seen_repos: dict[str, Item] = {}
    seen_slugs: dict[str, Item] = {}
    for item in items:
        if item.is_member:
            report.members_left_out += 1
            continue
        if len(item.name) > 120:
            raise LandscapeError(item.line, "a project's name can be at most 120 characters")
        if item.repo_url:
            key = normalize_repository_url(item.repo_url)
            if key in seen_repos:
                raise LandscapeError(item.line, f"the repository {item.repo_url} is already "
                                                f"{seen_repos[key].name}'s, on line "
                                                f"{seen_repos[key].line}")
            seen_repos[key] = item
        slug = _slug_for(item.name)
        if slug in seen_slugs:
            raise LandscapeError(item.line, f"{item.name!r} is already an item, on line "
                                            f"{seen_slugs[slug].line}")
        seen_slugs[slug] = item
        plan = _Planned(item=item, slug=slug, raw=raws.get(item.line, {}))
        if logos is not None and item.logo:
            path = logos / item.logo
            try:
                plan.logo, note = fit_logo(path.read_bytes())
                if note:
                    report.notes.append(f"Line {item.line}, {item.name}: logo {item.logo}: "
                                        f"{note}.")
            except OSError:
                report.notes.append(f"Line {item.line}, {item.name}: logo {item.logo} is not "
                                    "in the logos folder; imported without a logo.")
            except LogoProblem as problem:
                report.notes.append(f"Line {item.line}, {item.name}: logo {item.logo} "
                                    f"refused ({problem}); imported without a logo.")
        planned.append(plan)
    return planned


def _raw_items(text: str | bytes) -> dict[int, dict[str, Any]]:
    """Each item's keys as they came, by line, for the keys the project keeps as given."""
    import yaml

    raws: dict[int, dict[str, Any]] = {}
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    for node in _walk_items(root):
        value = yaml.safe_load(yaml.serialize(node))
        raws[node.start_mark.line + 1] = value if isinstance(value, dict) else {}
    return raws


def _walk_items(root):
    import yaml

    def values(node, key):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key and isinstance(v, yaml.SequenceNode):
                    return v.value
        return []

    top = root.value if isinstance(root, yaml.MappingNode) else []
    for key, node in top:
        if key.value != "landscape":
            continue
        for category in node.value if isinstance(node, yaml.SequenceNode) else []:
            for sub in values(category, "subcategories"):
                yield from values(sub, "items")


def import_landscape(text: str | bytes, logos: Path | None = None) -> Report:
    """Upsert the file's projects; raises LandscapeError (nothing written) if it is invalid."""
    report = Report()
    items = read(text)
    planned = _plan(items, _raw_items(text), logos, report)
    with transaction.atomic():
        by_repo = {r.normalized_url: r.project for r in ProjectRepository.objects.filter(
            normalized_url__in=[normalize_repository_url(p.item.repo_url)
                                for p in planned if p.item.repo_url]
        ).select_related("project").select_for_update(of=("self", "project"))}
        by_slug = {p.slug: p for p in Project.objects.filter(
            slug__in=[p.slug for p in planned]).select_for_update()}
        for plan in planned:
            item = plan.item
            project = (by_repo.get(normalize_repository_url(item.repo_url))
                       if item.repo_url else None) or by_slug.get(plan.slug)
            _upsert(project, plan, report)
    return report


def _fields(plan: _Planned) -> dict[str, Any]:
    item = plan.item
    category, subcategory = item.place
    extra = dict(item.extra)
    extra.pop("accepted", None)  # the joined date, kept as joined_on
    kept = {k: v for k, v in plan.raw.items() if k not in _OWN_KEYS}
    return {
        "name": item.name,
        "status": STATUSES[item.status],
        "description": item.description[:10_000],
        "homepage_url": item.homepage_url,
        "crunchbase_url": item.crunchbase,
        "landscape_category": category[:120],
        "landscape_subcategory": subcategory[:120],
        "category": (Project.Category.VERTICAL if category in VERTICAL_CATEGORIES
                     else Project.Category.PLATFORM),
        "extra": extra,
        "landscape_item": kept,
        "joined_on": item.joined,
    }


def _upsert(project: Project | None, plan: _Planned, report: Report) -> None:
    values = _fields(plan)
    if project is None:
        project = Project(slug=_free_slug(plan.slug), status_changed_at=timezone.now(),
                          summary=Truncator(plan.item.description).chars(300), **values)
        project.save()
        audit.record(project, action="project.imported", new={"status": project.status},
                     note="Imported from the landscape file.")
        created = changed = True
    else:
        created = False
        old_status = project.status
        changed = any(getattr(project, k) != v for k, v in values.items())
        if changed:
            for key, value in values.items():
                setattr(project, key, value)
            if old_status != project.status:
                project.status_changed_at = timezone.now()
            project.save()
            if old_status != project.status:
                audit.record(project, action="project.imported", old={"status": old_status},
                             new={"status": project.status},
                             note="Imported from the landscape file.")
    if plan.item.repo_url:
        key = normalize_repository_url(plan.item.repo_url)
        repo = project.repositories.order_by("position", "pk").first()
        if repo is None or repo.normalized_url != key:
            ProjectRepository.objects.filter(normalized_url=key).exclude(
                project=project).delete()  # matched by slug: the file moves it here
            project.repositories.filter(normalized_url=key).delete()
            project.repositories.filter(position=0).update(position=1)
            ProjectRepository(project=project, url=plan.item.repo_url, position=0).save()
            changed = True
        elif repo.url != plan.item.repo_url:
            repo.url = plan.item.repo_url
            repo.save()
            changed = True
    if plan.logo is not None and _logo_differs(project, plan.logo):
        old = project.logo.name
        project.logo.save(f"{project.slug}-{plan.logo.name}", plan.logo, save=False)
        project.save(update_fields=["logo", "updated_at"])
        if old:
            delete_after_commit(project.logo.storage, old)
        changed = True
    if created:
        report.created += 1
    elif changed:
        report.updated += 1
    else:
        report.unchanged += 1


def _free_slug(slug: str) -> str:
    if slug not in RESERVED_SLUGS and not Project.objects.filter(slug=slug).exists():
        return slug
    n = 2
    while Project.objects.filter(slug=f"{slug[:75]}-{n}").exists():
        n += 1
    return f"{slug[:75]}-{n}"


def _logo_differs(project: Project, logo: ContentFile[bytes]) -> bool:
    if not project.logo:
        return True
    try:
        with project.logo.open("rb") as stored:
            current = stored.read()
    except OSError:
        return True
    logo.seek(0)
    new = logo.read()
    logo.seek(0)
    return hashlib.sha256(current).digest() != hashlib.sha256(new).digest()
