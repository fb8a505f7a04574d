"""What real people type, and what the walk in tests/test_hostile_input.py found: each odd
value gets a clear error on the page, and nothing is written."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foundation.accounts.forms import OrganizationForm
from foundation.accounts.models import Organization, OrganizationRole, Role, User
from foundation.accounts.services import organization_create, organization_update
from foundation.checklists.models import ChecklistItem
from foundation.transitions import DomainError
from members.admin import DecisionForm
from members.forms import ProvideForm
from members.models import Testimonial as MemberQuote  # pytest would collect Test*
from members.models import Tier
from members.services.catalogue import fee_bands_set
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = "/dashboard/organizations/new/"
TOO_MANY = "No organization has more than 10,000,000 employees; check the number."


def org_data(**overrides):
    return {"legal_name": "Acme Artificial Intelligence Ltd", "display_name": "Acme AI",
            "slug": "acme-ai", "website": "https://acme.example", "country": "DE",
            "type": "company", "employees": "1200", **overrides}


def test_roles_of_a_person_holding_two_roles_change(client, org_admin):
    """The person was looked up through the roles join, which gave them once per role."""
    org, admin = org_admin
    person = UserFactory()
    for role in (Role.TECHNICAL, Role.MARKETING):
        OrganizationRole.objects.create(organization=org, user=person, role=role)
    client.force_login(admin)
    response = client.post(f"/dashboard/{org.slug}/people/{person.pk}/roles/",
                           {"roles": ["billing"]})
    assert response.status_code == 302
    assert set(OrganizationRole.objects.filter(user=person).values_list("role", flat=True)) \
        == {Role.BILLING}


def test_someone_outside_the_organization_has_no_roles_to_change(client, org_admin):
    org, admin = org_admin
    outsider = OrganizationFactory.with_admin()[1]
    client.force_login(admin)
    response = client.post(f"/dashboard/{org.slug}/people/{outsider.pk}/roles/",
                           {"roles": ["billing"]})
    assert response.status_code == 404
    assert not OrganizationRole.objects.filter(organization=org, user=outsider).exists()


@pytest.mark.parametrize("employees", [str(2**31), str(2**63), "10000001"])
def test_an_impossible_head_count_is_refused_on_the_page(client, org_admin, employees):
    org, admin = org_admin
    client.force_login(admin)
    response = client.post(f"/dashboard/{org.slug}/edit/", org_data(
        slug=org.slug, display_name="Renamed", employees=employees))
    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()
    org.refresh_from_db()
    assert org.employees == 1200 and org.display_name != "Renamed"


def test_the_head_count_bound_is_said_in_words(client, user):
    client.force_login(user)
    response = client.post(NEW, org_data(employees="10000001"))
    assert TOO_MANY in response.content.decode()
    assert 'max="10000000"' in response.content.decode()
    assert not Organization.objects.exists()


def test_the_service_refuses_what_the_database_cannot_hold(org_admin):
    org, admin = org_admin
    with pytest.raises(DomainError, match="Consolidated employees: No organization has more"):
        organization_update(organization=org, actor=admin, employees=2**31)
    with pytest.raises(DomainError, match="Display name: Ensure this value has at most 120"):
        organization_update(organization=org, actor=admin, display_name="x" * 121)
    with pytest.raises(DomainError, match="Null characters are not allowed"):
        organization_create(actor=admin, legal_name="Nul\x00 Ltd", display_name="Nul",
                            slug="nul")
    org.refresh_from_db()
    assert org.employees == 1200 and not Organization.objects.filter(slug="nul").exists()


def test_an_edit_refused_leaves_the_page_about_the_stored_organization(client, org_admin):
    org, admin = org_admin
    client.force_login(admin)
    page = client.post(f"/dashboard/{org.slug}/edit/", org_data(
        slug="elsewhere", display_name="Unsaved Name", employees="-1")).content.decode()
    assert f"Edit {org.display_name}" in page and "Edit Unsaved Name" not in page
    assert f'href="/dashboard/{org.slug}/"' in page


class TestAddressesWhateverTheirCase:
    def test_a_second_organization_cannot_take_an_address_in_capitals(self, client, user):
        OrganizationFactory(slug="bob-corp")
        client.force_login(user)
        response = client.post(NEW, org_data(slug="BOB-CORP"))
        assert "This address is taken; choose another." in response.content.decode()
        assert Organization.objects.filter(slug__iexact="bob-corp").count() == 1

    def test_nor_through_the_service(self, user):
        OrganizationFactory(slug="bob-corp")
        with pytest.raises(DomainError, match="“bob-corp” is taken"):
            organization_create(actor=user, legal_name="Bob", display_name="Bob",
                                slug="Bob-Corp")
        assert Organization.objects.count() == 1

    def test_nor_by_renaming(self, org_admin):
        OrganizationFactory(slug="bob-corp")
        org, admin = org_admin
        with pytest.raises(DomainError, match="is taken"):
            organization_update(organization=org, actor=admin, slug="BOB-corp")

    def test_nor_in_the_database(self):
        OrganizationFactory(slug="bob-corp")
        with pytest.raises(IntegrityError), transaction.atomic():
            OrganizationFactory(slug="BOB-CORP")

    def test_an_address_is_stored_in_lower_case(self, client, user):
        client.force_login(user)
        response = client.post(NEW, org_data(slug="Acme-AI"))
        assert response["Location"] == "/dashboard/acme-ai/"
        assert Organization.objects.get().slug == "acme-ai"

    def test_an_organization_keeps_its_own_address_in_another_case(self, org_admin):
        org, admin = org_admin
        organization_update(organization=org, actor=admin, slug=org.slug.upper())
        org.refresh_from_db()
        assert org.slug == org.slug.lower()


class TestMixedCaseURLs:
    def test_a_dashboard_url_in_capitals_redirects_to_the_lower_case_one(self, client,
                                                                          org_admin):
        org, admin = org_admin
        client.force_login(admin)
        response = client.get(f"/dashboard/{org.slug.upper()}/edit/?next=x")
        assert response.status_code == 301
        assert response["Location"] == f"/dashboard/{org.slug}/edit/?next=x"
        assert client.get(response["Location"]).status_code == 200

    def test_before_asking_who_the_visitor_is(self, client):
        response = client.get("/dashboard/BOB-CORP/invoices/7/")
        assert (response.status_code, response["Location"]) == (
            301, "/dashboard/bob-corp/invoices/7/")

    def test_a_post_is_redirected_with_its_body(self, client, org_admin):
        org, admin = org_admin
        client.force_login(admin)
        response = client.post(f"/dashboard/{org.slug.title()}/invite/", {"email": "a@b.c"})
        assert (response.status_code, response["Location"]) == (
            308, f"/dashboard/{org.slug}/invite/")


class TestNulBytesAndLengths:
    def test_a_nul_byte_in_a_name_is_refused(self, client, user):
        client.force_login(user)
        response = client.post(NEW, org_data(display_name="Acme\x00AI"))
        assert "Null characters are not allowed." in response.content.decode()
        assert not Organization.objects.exists()

    def test_staff_looking_up_an_address_with_a_nul_byte(self, admin_client, org_admin):
        org, _ = org_admin
        response = admin_client.get(f"/admin/accounts/organization/{org.pk}/roles/",
                                    {"email": "a\x00b@example.com"})
        assert response.status_code == 200

    @pytest.mark.parametrize("value", ["acme\x00", "\u202eacme", "abc"])
    def test_a_testimonial_for_no_organization_at_all(self, admin_client, value):
        response = admin_client.post("/admin/members/testimonial/add/", {
            "organization": value, "quote": "Neutral home.", "author": "CEO"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "Select a valid choice" in page or "Null characters are not allowed" in page
        assert not MemberQuote.objects.exists()

    def test_a_tier_takes_only_known_organization_types(self, admin_client):
        tier = Tier.objects.create(slug="general", name="General", fee_kind="free")
        change = f"/admin/members/tier/{tier.pk}/change/"
        data = {"slug": "general", "name": "General", "fee_kind": "free", "order": "0",
                "review": "automatic", "review_days": "14", "eligible_types": "5",
                "summary": ""}
        response = admin_client.post(change, data)
        assert "Give a list of organization types" in response.content.decode()
        tier.refresh_from_db()
        assert tier.eligible_types == []

    def test_what_a_member_provides_has_a_length(self):
        form = ProvideForm({"text": "x" * 5001})
        assert not form.is_valid() and "at most 5000" in form.errors["text"][0]
        assert ChecklistItem._meta.get_field("member_input").max_length == 5000


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(display_name=st.text(max_size=150), country=st.text(max_size=100),
       employees=st.integers(min_value=-(2**64), max_value=2**64))
def test_what_the_organization_form_accepts_the_database_holds(db, display_name, country,
                                                               employees):
    """Any name, country and head count: refused by the form, or saved by the service."""
    with transaction.atomic():
        user = User.objects.create_user(email="founder@example.com")
        form = OrganizationForm(org_data(display_name=display_name, country=country,
                                         employees=str(employees)), user=user)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "logo"}
            org = organization_create(actor=user, **data)
            assert org.employees == employees
        transaction.set_rollback(True)


class TestStaffPages:
    def test_a_fee_band_beyond_any_organization_is_refused(self, admin_client, tiers):
        general = tiers["general"]
        before = list(general.fee_bands.values_list("min_employees", "max_employees"))
        response = admin_client.post(f"/admin/members/tier/{general.pk}/fee-bands/", {
            "bands-TOTAL_FORMS": "2", "bands-INITIAL_FORMS": "0",
            "bands-0-min_employees": "1", "bands-0-max_employees": str(2**31 - 1),
            "bands-0-annual_fee": "25000",
            "bands-1-min_employees": str(2**31), "bands-1-annual_fee": "50000"})
        assert response.status_code == 200
        assert TOO_MANY in response.content.decode()
        assert list(general.fee_bands.values_list("min_employees", "max_employees")) == before

    def test_nor_through_the_service(self, tiers, admin_user):
        with pytest.raises(DomainError, match="No organization has more"):
            fee_bands_set(tier_id=tiers["general"].pk, actor=admin_user,
                          bands=[(1, 2**31 - 1, Decimal(1)), (2**31, None, Decimal(2))])

    @pytest.mark.parametrize("selected", ["abc", "1\x00", "🏳️‍🌈"])
    def test_an_action_on_rows_that_are_no_rows(self, admin_client, selected):
        Group.objects.create(name="Board")
        response = admin_client.post("/admin/auth/group/", {
            "action": "delete_selected", "_selected_action": [selected], "index": "0"})
        assert response.status_code == 302
        assert "Choose the rows from the list." in admin_client.get(
            response["Location"]).content.decode()
        assert Group.objects.count() == 1

    def test_a_decision_note_has_a_length(self):
        assert not DecisionForm({"note": "x" * 5001}).is_valid()
