"""How the membership programme answers the kernel: its panel on an organization's page, its
line on the dashboard, and what a change of an organization's facts means for it."""

from typing import Any

from django.dispatch import receiver

from foundation.accounts.models import Organization
from foundation.accounts.signals import organization_changed

from . import selectors
from .forms import ProvideForm, ResubmitForm
from .statuses import organization_state


def organization_panel(organization: Organization, roles: set[str]) -> dict[str, Any]:
    return {**selectors.membership_overview(organization),
            "resubmit_form": ResubmitForm(), "provide_form": ProvideForm()}


def organization_summary(organization: Organization) -> str:
    """What is true of the organization's membership, e.g. "Waiting for your signatory …"."""
    return " ".join(organization_state(selectors.membership_overview(organization)))


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
