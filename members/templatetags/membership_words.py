"""Template words about memberships, for pages whose view lists several organizations."""

from django import template

from members import selectors
from members.statuses import organization_state

register = template.Library()


@register.filter
def membership_state(organization) -> str:
    """What is true of the organization's membership, e.g. "Waiting for your signatory …"."""
    return " ".join(organization_state(selectors.membership_overview(organization)))
