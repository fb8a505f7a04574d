"""How the credits programme answers the kernel: its panel on an organization's page, its
line on /dashboard/ and its next steps (registered by credits/apps.py)."""

from typing import Any

from foundation.accounts import panels
from foundation.accounts.models import Organization, Role
from foundation.accounts.panels import NextStep
from foundation.checklists.models import ChecklistItem

from . import dashboard, pool_receivers, programme_year
from .forms import provide_form_for
from .models import Level


def organization_panel(organization: Organization, roles: set[str]) -> dict[str, Any]:
    """Everything under the "credits_" names, so no other programme's panel is shadowed."""
    year = programme_year()
    pledges = dashboard.pledges_of(organization)
    is_admin = Role.ADMIN in roles
    checklist = dashboard.checklist_of(organization, year) if pledges else []
    for item in checklist:
        item.form = (provide_form_for(item) if is_admin and item.status in
                     {ChecklistItem.Status.WAITING_ON_MEMBER, ChecklistItem.Status.TODO}
                     and item.member_must_provide else None)
    return {
        "credits_year": year,
        "credits_pledges": pledges,
        "credits_standing": (dashboard.standing_from(pledges, year, list(Level.objects.all()))
                             if pledges else None),
        "credits_checklist": checklist,
        "credits_is_admin": is_admin,
        "credits_support": dashboard.support_of(organization) if is_admin and pledges else None,
    }


def organization_summary(organizations: list[Organization]) -> dict[int, str]:
    return dashboard.sentences(organizations, programme_year())


def organization_next_steps(organizations: list[Organization],
                            roles: dict[int, set[str]]) -> dict[int, list[NextStep]]:
    """What the sponsor's benefits wait for: only its admins can give it."""
    admins = [org for org in organizations if Role.ADMIN in roles.get(org.pk, set())]
    if not admins:
        return {}
    waiting = dashboard.waiting_items(admins, programme_year())
    steps: dict[int, list[NextStep]] = {}
    for org in admins:
        for item in waiting.get(org.pk, []):
            need = item.member_must_provide
            steps.setdefault(org.pk, []).append(NextStep(
                sentence=f"Send us {need[:1].lower()}{need[1:]} for your sponsor benefit "
                         f"“{item.title}”.",
                url=f"{org.get_absolute_url()}#sponsor-item-{item.pk}", label="Send it",
                who="an admin", due=item.due_date))
    return steps


def register() -> None:
    panels.panels.append(panels.Panel("credits/_organization_panel.html", organization_panel))
    panels.summaries.append(organization_summary)
    panels.next_step_sources.append(organization_next_steps)
    pool_receivers.register()  # the hosted projects' credits on /dashboard/
