from decimal import Decimal

import pytest

from foundation.accounts.models import OrganizationRole, Role
from foundation.billing import services, stripe_api
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.billing.stripe_fake import FakeStripe
from tests.billing.webhooks import WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_SECRET_KEY = ""


@pytest.fixture
def stripe_fake(settings, monkeypatch):
    """Stripe configured, its HTTP API replaced by a fake that keeps what it is sent."""
    fake = FakeStripe()
    settings.STRIPE_SECRET_KEY = "sk_test_portal"
    monkeypatch.setattr(stripe_api, "http_client", fake)
    return fake


@pytest.fixture
def billed_org(db):
    """An organization with an admin and a billing contact."""
    org, admin = OrganizationFactory.with_admin(legal_name="Acme AI GmbH")
    billing = UserFactory(email="ap@acme.example")
    OrganizationRole.objects.create(organization=org, user=billing, role=Role.BILLING)
    return org, admin, billing


@pytest.fixture
def make_invoice(billed_org):
    org, _, _ = billed_org

    def make(amount="25000.00", issue=True, subject=None, **kwargs):
        invoice = services.invoice_create(
            organization=org, lines=[("General membership, 12 months", Decimal(amount))],
            subject=subject, po_number="PO-7781", tax_id="DE123456789",
            billing_address="Acme AI GmbH\nHauptstrasse 1\n10115 Berlin", **kwargs,
        )
        if issue:
            invoice = services.invoice_issue(invoice_id=invoice.pk)
        return invoice

    return make
