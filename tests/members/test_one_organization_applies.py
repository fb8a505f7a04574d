"""An application belongs to one organization: it is made from that organization's page,
prefilled from it, and never rewrites the organization's type or size. Type changes that
bear on eligibility go to staff."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from foundation.accounts.services import organization_update
from foundation.billing.models import Invoice
from members.models import Application, EligibilityCheck, Membership
from members.services import eligibility
from tests.accounts.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def form(tier, **overrides):
    return {"tier": tier.pk, "signatory_name": "Grace Hopper", "signatory_title": "CEO",
            "signatory_email": "ceo@acme.example", "billing_email": "ap@acme.example",
            "billing_address": "1 Main St", "lf_silver_attested": "on",
            "agreement_accepted": "on", "step": "submit", **overrides}


@pytest.fixture
def two_organizations(db):
    """Ada administers a university and a company: the reproduced case."""
    university, ada = OrganizationFactory.with_admin(display_name="Walker University",
                                                     type="academic", employees=300)
    company = OrganizationFactory(display_name="Walker Robotics", type="company",
                                  employees=5000)
    company.roles.create(user=ada, role="admin")
    return ada, university, company


def test_a_person_with_several_organizations_is_asked_which_one_with_the_tier_kept(
    client, tiers, two_organizations
):
    ada, university, company = two_organizations
    client.force_login(ada)
    page = client.get(f"/membership/apply/?tier={tiers['general'].pk}").content.decode()
    assert "Which organization is applying?" in page
    for org in (university, company):
        assert f"/dashboard/{org.slug}/apply/?tier={tiers['general'].pk}" in page


def test_a_person_with_one_organization_goes_straight_to_its_application(client, tiers):
    org, admin = OrganizationFactory.with_admin()
    client.force_login(admin)
    response = client.get(f"/membership/apply/?tier={tiers['premier'].pk}")
    assert response["Location"] == f"/dashboard/{org.slug}/apply/?tier={tiers['premier'].pk}"


def test_the_company_applies_with_its_own_facts_and_the_university_s_stay_apart(
    client, tiers, two_organizations, django_capture_on_commit_callbacks
):
    ada, university, company = two_organizations
    client.force_login(ada)
    page = client.get(f"/dashboard/{company.slug}/apply/").content.decode()
    assert "5,000" in page and "Company" in page and "Walker Robotics" in page
    refused = client.post(f"/dashboard/{company.slug}/apply/", form(tiers["associate"]))
    assert "only for academic institution and nonprofit organizations" in \
        refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/dashboard/{company.slug}/apply/", form(tiers["general"]))
    application = Application.objects.get()
    assert application.organization == company
    assert application.annual_fee == Decimal("50000") and application.employees == 5000
    company.refresh_from_db()
    university.refresh_from_db()
    assert (company.type, company.employees) == ("company", 5000)
    assert (university.type, university.employees) == ("academic", 300)


def test_changing_a_member_s_type_opens_an_eligibility_check_for_staff(
    apply_for, sign, admin_user, admin_client, django_capture_on_commit_callbacks
):
    application = apply_for("general")
    sign(application)
    from tests.members.test_transitions_and_locks import pay

    pay(Invoice.objects.get())
    org = application.organization
    admin = org.roles.get(role="admin").user
    with django_capture_on_commit_callbacks(execute=True):
        organization_update(organization=org, actor=admin, type="academic")
    check = EligibilityCheck.objects.get()
    assert check.status == EligibilityCheck.Status.OPEN and check.due_date
    assert "from company to academic institution while a member" in check.reason
    assert any(m.to == [admin_user.email] and "Eligibility to check" in m.subject
               for m in mail.outbox)
    page = admin_client.get(f"/admin/members/eligibilitycheck/{check.pk}/change/")
    assert "company → academic" in page.content.decode()  # staff see the type's history
    admin_client.post(f"/admin/members/eligibilitycheck/{check.pk}/decide/",
                      {"eligible": "yes", "note": ""})
    check.refresh_from_db()
    assert check.status == EligibilityCheck.Status.CONFIRMED and check.decided_by == admin_user


def test_a_type_change_of_an_organization_with_nothing_running_needs_no_check(db):
    org, admin = OrganizationFactory.with_admin()
    organization_update(organization=org, actor=admin, type="nonprofit")
    assert not EligibilityCheck.objects.exists()


def test_an_associate_application_soon_after_a_type_change_waits_for_staff(
    apply_for, sign, admin_user, time_machine
):
    time_machine.move_to("2026-03-01 09:00Z")
    org, admin = OrganizationFactory.with_admin(type="company")
    organization_update(organization=org, actor=admin, type="academic")
    time_machine.shift(timedelta(days=30))
    application = apply_for("associate", org=org, admin=admin)
    sign(application)
    application.refresh_from_db()
    assert application.status == Application.Status.UNDER_REVIEW
    assert not Membership.objects.exists()  # not joined automatically
    check = EligibilityCheck.objects.get(application=application)

    eligibility.check_decide(check_id=check.pk, eligible=True, actor=admin_user)
    application.refresh_from_db()
    assert application.status == Application.Status.COMPLETED
    assert Membership.objects.get().status == Membership.Status.ACTIVE


def test_not_eligible_rejects_the_waiting_application_with_the_reason(apply_for, admin_user):
    org, admin = OrganizationFactory.with_admin(type="company")
    organization_update(organization=org, actor=admin, type="nonprofit")
    application = apply_for("associate", org=org, admin=admin)
    check = EligibilityCheck.objects.get()
    with pytest.raises(Exception, match="Say why"):
        eligibility.check_decide(check_id=check.pk, eligible=False, actor=admin_user)
    eligibility.check_decide(check_id=check.pk, eligible=False, actor=admin_user,
                             note="A subsidiary of a listed company.")
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    assert application.decision_note == "A subsidiary of a listed company."


def test_after_ninety_days_an_associate_application_joins_as_before(apply_for, sign,
                                                                    time_machine):
    time_machine.move_to("2026-03-01 09:00Z")
    org, admin = OrganizationFactory.with_admin(type="company")
    organization_update(organization=org, actor=admin, type="academic")
    time_machine.shift(timedelta(days=91))
    application = apply_for("associate", org=org, admin=admin)
    sign(application)
    assert Membership.objects.get(application=application).status == Membership.Status.ACTIVE
