"""What each programme shows on an organization's page and in its line on /dashboard/, and
what it asks the organization to do next. The kernel's pages import no programme: a programme
registers here when its app is ready (see members/apps.py and members/receivers.py)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from .models import Organization, User


@dataclass(frozen=True)
class Panel:
    """A template included on the organization's page, with the context it needs from
    (organization, the reader's roles there)."""

    template: str
    context: Callable[[Organization, set[str]], dict[str, Any]]


@dataclass(frozen=True)
class NextStep:
    """One thing the organization has to do: a sentence, the link that does it (its URL and
    its button's words), who can do it and, if it has one, the day it is due."""

    sentence: str
    url: str
    label: str
    who: str
    due: date | None = None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < timezone.localdate()


# (organizations, each one's pk -> the reader's roles there) -> each one's pk -> its steps.
# One call per request for all the person's organizations, so that a source reads them in
# a constant number of queries however many organizations the person belongs to.
NextSteps = Callable[[list[Organization], dict[int, set[str]]], dict[int, list[NextStep]]]

panels: list[Panel] = []
next_step_sources: list[NextSteps] = []
# One sentence per programme about each organization, for its card on /dashboard/: a source
# takes the list of organizations and returns each one's pk -> its sentence.
summaries: list[Callable[[list[Organization]], dict[int, str]]] = []


@dataclass(frozen=True)
class PersonSection:
    """A section of /dashboard/ about the person rather than an organization (the projects
    they maintain, the votes waiting for them), with its context from the user. The context
    reads in a constant number of queries, and is empty ({}) when the section has nothing to
    show that person, so the dashboard leaves it out."""

    template: str
    context: Callable[[User], dict[str, Any]]


person_sections: list[PersonSection] = []


def person_context(user: User) -> dict[str, Any]:
    """The templates of the sections that have something for this person, and their
    context."""
    context: dict[str, Any] = {"person_section_templates": []}
    for section in person_sections:
        found = section.context(user)
        if found:
            context["person_section_templates"].append(section.template)
            context.update(found)
    return context


def page_context(organization: Organization, roles: set[str]) -> dict[str, Any]:
    context: dict[str, Any] = {"panel_templates": [panel.template for panel in panels]}
    for panel in panels:
        context.update(panel.context(organization, roles))
    return context


def summaries_of(organizations: Iterable[Organization]) -> dict[int, str]:
    """Each organization's sentence on /dashboard/, every programme's joined."""
    organizations = list(organizations)
    lines: dict[int, list[str]] = {org.pk: [] for org in organizations}
    for source in summaries:
        for pk, line in source(organizations).items():
            if line:
                lines[pk].append(line)
    return {pk: " ".join(found) for pk, found in lines.items()}


def next_steps(organizations: Iterable[Organization],
               roles: dict[int, set[str]]) -> dict[int, list[NextStep]]:
    """Each organization's steps for this reader, most urgent first: overdue, then the
    soonest due, then those without a date."""
    organizations = list(organizations)
    steps: dict[int, list[NextStep]] = {org.pk: [] for org in organizations}
    for source in next_step_sources:
        for pk, found in source(organizations, roles).items():
            steps[pk].extend(found)
    for found in steps.values():
        found.sort(key=lambda step: (step.due is None, step.due or date.min))
    return steps
