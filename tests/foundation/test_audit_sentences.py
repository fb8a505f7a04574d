"""An organization's history reads as sentences with the actor's name, never as data."""

import pytest

from foundation import audit
from foundation.accounts import history, services
from foundation.accounts.models import Organization, Role
from foundation.models import AuditEntry
from members.demo_programme import seed_catalogue
from members.services import applications
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    return UserFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")


@pytest.fixture
def org(ada):
    return services.organization_create(actor=ada, legal_name="Analytical Engines Ltd",
                                        display_name="Analytical Engines", employees=300)


def last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).select_related("actor").first()


def test_creating_and_changing_the_organization(org, ada):
    assert history.describe(last("organization.create")) == (
        "Ada Lovelace created the organization Analytical Engines.")
    services.organization_update(organization=org, actor=ada, employees=5000,
                                 type=Organization.Type.NONPROFIT)
    sentence = history.describe(last("organization.update"))
    assert sentence.startswith("Ada Lovelace changed ")
    assert "the consolidated employees from 300 to 5,000" in sentence
    assert "the type from Company to Nonprofit" in sentence
    services.organization_update(organization=org, actor=ada, country="DE",
                                 is_founding_member=True)
    sentence = history.describe(last("organization.update"))
    assert "the country from nothing to Germany" in sentence
    assert "the founding member setting from no to yes" in sentence


def test_roles_and_invitations(org, ada):
    bob = UserFactory(email="bob@example.com")
    services.roles_set(organization=org, user=bob, roles=[Role.TECHNICAL], actor=ada)
    assert history.describe(last("roles.set")) == (
        "Ada Lovelace gave bob@example.com the Technical contact role.")
    services.roles_set(organization=org, user=bob, roles=[Role.BILLING, Role.MARKETING],
                       actor=ada)
    assert history.describe(last("roles.set")) == (
        "Ada Lovelace gave bob@example.com the Billing contact and Marketing contact roles "
        "and took away the Technical contact role.")
    services.roles_set(organization=org, user=bob, roles=[], actor=ada)
    assert history.describe(last("roles.set")) == (
        "Ada Lovelace removed bob@example.com from the organization.")
    invitation = services.invitation_create(organization=org, email="carol@example.com",
                                            roles=[Role.BILLING], actor=ada)
    assert history.describe(last("invitation.create")) == (
        "Ada Lovelace invited carol@example.com to join.")
    services.invitation_revoke(invitation=invitation, actor=ada)
    assert history.describe(last("invitation.revoke")) == (
        "Ada Lovelace revoked the invitation of carol@example.com.")


def test_the_application_s_steps():
    tier = seed_catalogue()["associate"]
    org, grace = OrganizationFactory.with_admin(type="academic")
    grace.first_name, grace.last_name = "Grace", "Hopper"
    grace.save()
    application = applications.application_submit(
        organization=org, tier=tier, actor=grace, signatory_name="Grace Hopper",
        signatory_title="Provost", signatory_email="provost@example.edu",
        billing_email="ap@example.edu", billing_address="1 Campus Way",
        agreement_accepted=True)
    applications.signature_accept(token=applications.signature_token(application),
                                  name="Grace Hopper", ip=None)
    assert history.describe(last("application.submit")) == (
        "Grace Hopper submitted an Associate application.")
    assert history.describe(last("application.signed")) == (
        "The signatory, Grace Hopper, accepted the membership agreement.")
    assert history.describe(last("membership.activate")).startswith(
        "The Associate membership started on ")


def test_an_unknown_action_still_reads_as_a_sentence(org, ada):
    audit.record(org, actor=ada, action="organization.logo_reviewed", new={"checked": True})
    assert history.describe(last("organization.logo_reviewed")) == (
        "Ada Lovelace made a change: organization logo reviewed.")
    audit.record(org, action="organization.logo_reviewed", old={"status": "a"},
                 new={"status": "b"})
    assert "{" not in history.describe(last("organization.logo_reviewed"))


def test_a_secret_is_named_never_shown(ada):
    audit.record(ada, actor=ada, action="admin.change", old={"password": "old-hash"},
                 new={"password": "new-hash", "first_name": "Ada"})
    sentence = audit.describe(last("admin.change"))
    assert sentence == "Ada Lovelace changed the first name to Ada and the password."
    assert "hash" not in sentence


def test_the_organization_page_shows_sentences(client, org, ada):
    services.organization_update(organization=org, actor=ada, employees=5000)
    services.invitation_create(organization=org, email="carol@example.com",
                               roles=[Role.BILLING], actor=ada)
    client.force_login(ada)
    html = client.get(f"/dashboard/{org.slug}/").content.decode()
    section = html[html.index('id="history"'):]
    assert "Ada Lovelace changed the consolidated employees from 300 to 5,000." in section
    assert "Ada Lovelace invited carol@example.com to join." in section
    assert "Ada Lovelace created the organization Analytical Engines." in section
    assert "{" not in section and "organization.update" not in section
