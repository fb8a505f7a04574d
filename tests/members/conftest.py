import pytest
from django.core import mail

from foundation.accounts.models import Organization
from members.demo_programme import seed_catalogue
from members.services import applications
from tests.accounts.factories import OrganizationFactory
from tests.mail import link_in


@pytest.fixture
def tiers(db):
    return seed_catalogue()


@pytest.fixture
def apply_for(tiers, django_capture_on_commit_callbacks):
    """Submit an application as the organization's admin, the way the form does."""

    def submit(tier_slug: str, org: Organization | None = None, admin=None, **overrides):
        if org is None:
            org, admin = OrganizationFactory.with_admin()
        data = {
            "signatory_name": "Grace Hopper", "signatory_title": "CEO",
            "signatory_email": f"ceo@{org.slug}.example", "billing_email": "ap@example.com",
            "billing_address": "1 Main Street\nSpringfield", "agreement_accepted": True,
            "lf_silver_attested": True, "po_number": "PO-1",
        }
        if tiers[tier_slug].has_questionnaire:
            data.update(motivation="To steer PyTorch", planned_contributions="Engineers",
                        board_representative="Ada Lovelace",
                        tac_representative="Alan Turing")
        data.update(overrides)
        with django_capture_on_commit_callbacks(execute=True):
            return applications.application_submit(organization=org, tier=tiers[tier_slug],
                                                    actor=admin, **data)

    return submit


@pytest.fixture
def sign(client, django_capture_on_commit_callbacks):
    """The signatory follows the e-mailed link and accepts."""

    def accept(application, name="Grace Hopper"):
        message = next(m for m in reversed(mail.outbox) if m.to == [application.signatory_email])
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(link_in(message, "/membership/sign/"),
                               {"name": name, "action": "accept"})

    return accept
