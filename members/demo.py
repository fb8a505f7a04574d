"""Demo organizations: the members listed in the foundation's public landscape."""

import re
from pathlib import Path

import yaml
from django.conf import settings
from django.core.files.base import File

from foundation.accounts.models import Organization, OrganizationRole, Role, User
from foundation.uploads import UploadRejected, clean_logo

LANDSCAPE_DIR = Path(settings.BASE_DIR) / "data" / "pytorch-landscape"
MEMBERS_CATEGORY = "PyTorch Members"
ACADEMIC_WORDS = re.compile(r"Universit|Institut|Academy|Polytechnic|Anusandhan|IIT", re.I)
# The landscape gives no head-counts; a plausible size per LFX class for the demo.
EMPLOYEES_BY_CLASS = {"Platinum": 20000, "Gold": 5000, "Silver": 300, "Associate": 100}


def landscape_members() -> list[dict]:
    """The member items of the landscape, each with its LFX membership class."""
    data = yaml.safe_load((LANDSCAPE_DIR / "landscape.yml").read_text())
    members = []
    for category in data["landscape"]:
        if category["name"] != MEMBERS_CATEGORY:
            continue
        for sub in category["subcategories"]:
            for item in sub["items"]:
                members.append({**item, "class": sub["name"]})
    return members


def _names(raw: str) -> tuple[str, str]:
    legal = raw.removesuffix(" (member)").strip()
    short = re.search(r"\(([^()]+)\)$", legal)
    return legal, (short.group(1) if short else legal)[:120]


def _type(item: dict) -> str:
    if item["class"] != "Associate":
        return Organization.Type.COMPANY
    if ACADEMIC_WORDS.search(item["name"]):
        return Organization.Type.ACADEMIC
    return Organization.Type.NONPROFIT


def seed(users: dict[str, User]) -> list[Organization]:
    from .demo_programme import seed_catalogue, seed_memberships

    tiers = seed_catalogue()
    organizations = []
    classes = []
    for item in landscape_members():
        legal, display = _names(item["name"])
        slug = re.sub(r"[^a-z0-9]+", "-", display.lower()).strip("-")[:80]
        org, created = Organization.objects.get_or_create(
            slug=slug,
            defaults={
                "legal_name": legal,
                "display_name": display,
                "website": item.get("homepage_url", ""),
                "type": _type(item),
                "employees": EMPLOYEES_BY_CLASS.get(item["class"], 100),
            },
        )
        if created and item.get("logo"):
            path = LANDSCAPE_DIR / "hosted_logos" / item["logo"]
            try:
                with path.open("rb") as fh:
                    logo = clean_logo(File(fh, name=path.name))
                org.logo.save(f"{slug}-{logo.name}", logo, save=True)
            except (OSError, UploadRejected):
                pass  # a demo organization without a logo is still a useful demo
        organizations.append(org)
        classes.append(item["class"])
    if organizations:
        OrganizationRole.objects.get_or_create(
            organization=organizations[0], user=users["member"], role=Role.ADMIN
        )
    seed_memberships(tiers, list(zip(organizations, classes, strict=True)), users["staff"])
    return organizations
