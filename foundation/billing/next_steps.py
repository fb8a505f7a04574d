"""Billing's next steps on an organization's page and /dashboard/: each open invoice to pay,
for the organization's admins and billing contacts (the people who see its invoices)."""

from decimal import Decimal

from django.urls import reverse

from foundation.accounts.models import Organization, Role
from foundation.accounts.panels import NextStep

from .models import Invoice

PAYERS = {Role.ADMIN, Role.BILLING}


def amount(total: Decimal, currency: str) -> str:
    """"$35,000", or "$35,000.50" when there are cents; another currency by its code."""
    figure = f"{total:,.0f}" if total == total.to_integral_value() else f"{total:,.2f}"
    return f"${figure}" if currency == "USD" else f"{currency} {figure}"


def invoices_to_pay(organizations: list[Organization],
                    roles: dict[int, set[str]]) -> dict[int, list[NextStep]]:
    """One step per issued invoice still to pay, in one query however many organizations;
    the page says when it is due."""
    payers = {org.pk: org for org in organizations if roles.get(org.pk, set()) & PAYERS}
    steps: dict[int, list[NextStep]] = {pk: [] for pk in payers}
    for invoice in Invoice.objects.filter(
            organization__in=list(payers), number__isnull=False,
            status__in=[Invoice.Status.OPEN, Invoice.Status.UNCOLLECTIBLE]
    ).order_by("due_date", "pk"):
        steps[invoice.organization_id].append(NextStep(
            sentence=f"Pay invoice {invoice.number} for "
                     f"{amount(invoice.total, invoice.currency)}.",
            url=reverse("invoice_detail", args=[payers[invoice.organization_id].slug,
                                                invoice.pk]),
            label="Pay the invoice", who="an admin or billing contact", due=invoice.due_date))
    return steps
