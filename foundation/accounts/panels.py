"""What each programme shows on an organization's page and in its line on /dashboard/. The
kernel's pages import no programme: a programme registers its panel here when its app is
ready (see members/apps.py)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .models import Organization


@dataclass(frozen=True)
class Panel:
    """A template included on the organization's page, with the context it needs from
    (organization, the reader's roles there)."""

    template: str
    context: Callable[[Organization, set[str]], dict[str, Any]]


panels: list[Panel] = []
# One sentence per programme about the organization, for its card on /dashboard/.
summaries: list[Callable[[Organization], str]] = []


def page_context(organization: Organization, roles: set[str]) -> dict[str, Any]:
    context: dict[str, Any] = {"panel_templates": [panel.template for panel in panels]}
    for panel in panels:
        context.update(panel.context(organization, roles))
    return context


def summary(organization: Organization) -> str:
    return " ".join(filter(None, (line(organization) for line in summaries)))
