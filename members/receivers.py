"""How the membership programme answers the kernel: its panel on an organization's page, its
line on the dashboard, its next steps, and what a change of an organization's facts means for
it."""

from typing import Any

from django.dispatch import receiver

from foundation.accounts import panels
from foundation.accounts.models import Organization, Role
from foundation.accounts.panels import NextStep
from foundation.accounts.signals import organization_changed

from . import selectors
from .forms import ProvideForm, ResubmitForm
from .statuses import organization_state


def organization_panel(organization: Organization, roles: set[str]) -> dict[str, Any]:
    return {**selectors.membership_overview(organization),
            "resubmit_form": ResubmitForm(), "provide_form": ProvideForm()}


def organization_summary(organizations: list[Organization]) -> dict[int, str]:
    """What is true of each organization's membership, e.g. "Waiting for your signatory …"."""
    overviews = selectors.membership_overviews(organizations)
    return {pk: " ".join(organization_state(overview)) for pk, overview in overviews.items()}


def organization_next_steps(organizations: list[Organization],
                            roles: dict[int, set[str]]) -> dict[int, list[NextStep]]:
    """What the membership waits for from each organization: its signatory's acceptance (for
    an admin or the signatory), changes the reviewers asked for (for an admin), and what a
    benefit needs from the member (for anyone in it)."""
    todo = selectors.membership_todo(organizations)
    steps: dict[int, list[NextStep]] = {}
    for org in organizations:
        reader, found = roles.get(org.pk, set()), steps.setdefault(org.pk, [])
        page = org.get_absolute_url()
        application = todo[org.pk]["application"]
        if application and reader & {Role.ADMIN, Role.SIGNATORY} and not application.signed_at:
            found.append(NextStep(
                sentence=f"Accept the membership agreement for the {application.tier} "
                         f"application: we e-mailed the link to your signatory, "
                         f"{application.signatory_name} ({application.signatory_email}).",
                url=f"{page}#application", label="See the application",
                who=f"your signatory, {application.signatory_name}"))
        if (application and Role.ADMIN in reader
                and application.status == application.Status.CHANGES_REQUESTED):
            found.append(NextStep(
                sentence=f"Make the changes asked for in the {application.tier} application "
                         "and send it back for review.",
                url=f"{page}#resubmit", label="Make the changes", who="an admin"))
        if reader:
            for item in todo[org.pk]["waiting"]:
                found.append(NextStep(
                    sentence=f"Send us {item.member_must_provide[:1].lower()}"
                             f"{item.member_must_provide[1:]} for the benefit “{item.title}”.",
                    url=f"{page}#provide-{item.pk}", label="Send it",
                    who="anyone in the organization", due=item.due_date))
    return steps


# members/apps.py imports this module when the app is ready: the steps join the kernel then.
panels.next_step_sources.append(organization_next_steps)


@receiver(organization_changed)
def organization_facts_changed(sender, organization: Organization, changes: dict,
                               new_logo: bool, **kwargs) -> None:
    """A new type may change which tier fits (staff check it); a new logo in the directory
    delivers the logo benefit."""
    from .services.eligibility import organization_type_changed
    from .services.memberships import organization_logo_changed

    if "type" in changes:
        old, new = changes["type"]
        organization_type_changed(organization=organization, old=old, new=new)
    if new_logo:
        organization_logo_changed(organization=organization)
