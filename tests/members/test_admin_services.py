"""The admin changes roles, fee bands and logos through the services, as the dashboard does."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from foundation.accounts.models import Organization, OrganizationRole, Role
from foundation.checklists.models import ChecklistItem
from foundation.models import AuditEntry
from members.models import Benefit, FeeBand
from members.services.memberships import LOGO_BENEFIT, membership_import
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.admin_forms import change_form_data

pytestmark = pytest.mark.django_db

ORGS = "/admin/accounts/organization/"


def inline_of(response, model):
    return next(i for i in response.context["inline_admin_formsets"]
                if i.formset.model is model)


def test_the_roles_inline_is_read_only_and_a_forged_delete_changes_nothing(admin_client,
                                                                           org_admin):
    org, admin = org_admin
    page = admin_client.get(f"{ORGS}{org.pk}/change/")
    assert f"{ORGS}{org.pk}/roles/" in page.content.decode()
    inline = inline_of(page, OrganizationRole)
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    data = change_form_data(page)
    data["roles-0-DELETE"] = "on"
    assert admin_client.post(f"{ORGS}{org.pk}/change/", data).status_code == 302
    assert OrganizationRole.objects.filter(organization=org, user=admin,
                                           role=Role.ADMIN).exists()


def test_removing_the_only_admin_is_refused_and_changes_nothing(admin_client, org_admin):
    org, admin = org_admin
    response = admin_client.post(f"{ORGS}{org.pk}/roles/",
                                 {"email": admin.email, "roles": [Role.TECHNICAL]})
    assert response.status_code == 200
    assert "An organization needs at least one admin." in response.content.decode()
    assert set(OrganizationRole.objects.filter(organization=org).values_list(
        "user", "role")) == {(admin.pk, Role.ADMIN)}
    assert not AuditEntry.objects.filter(action="roles.set").exists()


def test_staff_grant_a_role_and_it_is_audited(admin_client, admin_user, org_admin):
    org, _ = org_admin
    person = UserFactory(email="ap@example.com")
    form = admin_client.get(f"{ORGS}{org.pk}/roles/", {"email": "AP@example.com"})
    assert form.status_code == 200
    response = admin_client.post(f"{ORGS}{org.pk}/roles/",
                                 {"email": "AP@example.com", "roles": [Role.BILLING]})
    assert response.status_code == 302
    assert OrganizationRole.objects.get(organization=org, user=person).role == Role.BILLING
    entry = AuditEntry.objects.get(action="roles.set")
    assert entry.actor == admin_user and entry.object_id == str(org.pk)
    assert entry.new_value == {"user": "ap@example.com", "roles": [Role.BILLING]}


def test_the_roles_form_prefills_a_person_s_roles(admin_client, org_admin):
    org, admin = org_admin
    form = admin_client.get(f"{ORGS}{org.pk}/roles/", {"email": admin.email}).context["form"]
    assert form["roles"].value() == [Role.ADMIN]


def test_roles_for_an_unknown_address_are_refused(admin_client, org_admin):
    org, _ = org_admin
    response = admin_client.post(f"{ORGS}{org.pk}/roles/",
                                 {"email": "nobody@example.com", "roles": [Role.ADMIN]})
    assert "No one has an account with this address" in response.content.decode()
    assert OrganizationRole.objects.filter(organization=org).count() == 1


# Fee bands and the rest of the catalogue


def bands_data(bands, initial=0):
    data = {"bands-TOTAL_FORMS": len(bands), "bands-INITIAL_FORMS": initial,
            "bands-MIN_NUM_FORMS": 0, "bands-MAX_NUM_FORMS": 1000}
    for n, (low, high, fee, *delete) in enumerate(bands):
        data |= {f"bands-{n}-min_employees": low, f"bands-{n}-max_employees": high or "",
                 f"bands-{n}-annual_fee": fee}
        if delete:
            data[f"bands-{n}-DELETE"] = "on"
    return data


def scale(tier):
    return [(b.min_employees, b.max_employees, b.annual_fee)
            for b in tier.fee_bands.order_by("min_employees")]


def test_the_fee_band_inline_is_read_only(admin_client, tiers):
    page = admin_client.get(f"/admin/members/tier/{tiers['general'].pk}/change/")
    inline = inline_of(page, FeeBand)
    assert not (inline.has_add_permission or inline.has_change_permission
                or inline.has_delete_permission)
    assert f"/admin/members/tier/{tiers['general'].pk}/fee-bands/" in page.content.decode()


def test_staff_change_fee_bands_and_old_and_new_are_audited(admin_client, admin_user, tiers):
    general = tiers["general"]
    url = f"/admin/members/tier/{general.pk}/fee-bands/"
    page = admin_client.get(url)
    assert [f["min_employees"].value() for f in page.context["formset"].initial_forms] == [
        1, 500, 1000, 3000, 5000]
    new = [(1, 999, "20000"), (500, 999, "30000", "delete"), (1000, 2999, "35000"),
           (3000, None, "45000"), (5000, None, "50000", "delete")]
    response = admin_client.post(url, bands_data(new, initial=5))
    assert response.status_code == 302
    assert scale(general) == [(1, 999, Decimal("20000")), (1000, 2999, Decimal("35000")),
                              (3000, None, Decimal("45000"))]
    entry = AuditEntry.objects.get(action="tier.fee_bands")
    assert entry.actor == admin_user
    assert entry.old_value["fee bands"][0] == "1 – 499 employees: $25,000.00"
    assert entry.new_value["fee bands"] == ["1 – 999 employees: $20,000.00",
                                            "1,000 – 2,999 employees: $35,000.00",
                                            "3,000 + employees: $45,000.00"]
    admin_client.post(url, bands_data(new, initial=5))
    assert AuditEntry.objects.filter(action="tier.fee_bands").count() == 1


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([(1, 999, "1"), (900, None, "2")], "The bands 1 – 999 and 900 + overlap."),
        ([(1, 999, "1"), (1500, None, "2")], "No band covers 1,000 – 1,499 employees."),
        ([(1, 999, "1"), (1000, 5000, "2")], "No band covers more than 5,000 employees"),
        ([(10, None, "1")], "No band covers 1 – 9 employees"),
        ([(500, 100, "1")], "The band 500 – 100 ends below where it starts."),
        ([], "it needs at least one band"),
    ],
    ids=["overlap", "gap", "no-top", "no-bottom", "upside-down", "none"],
)
def test_a_broken_sliding_scale_is_refused_and_nothing_changes(admin_client, tiers, bands,
                                                               message):
    general = tiers["general"]
    before = scale(general)
    response = admin_client.post(f"/admin/members/tier/{general.pk}/fee-bands/",
                                 bands_data(bands))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert scale(general) == before
    assert not AuditEntry.objects.filter(action="tier.fee_bands").exists()


def test_tier_changes_are_audited(admin_client, admin_user, tiers):
    url = f"/admin/members/tier/{tiers['premier'].pk}/change/"
    data = change_form_data(admin_client.get(url)) | {"annual_fee": "350000.00"}
    assert admin_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(action="admin.change", object_id=str(tiers["premier"].pk))
    assert entry.actor == admin_user and entry.new_value == {"annual_fee": "350000.00"}


def test_benefit_changes_are_audited(admin_client, admin_user, tiers):
    benefit = Benefit.objects.get(key="board-seat")
    url = f"/admin/members/benefit/{benefit.pk}/change/"
    data = change_form_data(admin_client.get(url)) | {"due_days": 45}
    assert admin_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(action="admin.change", object_id=str(benefit.pk))
    assert entry.actor == admin_user and entry.new_value == {"due_days": 45}


# Logos


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), "red").save(buffer, "PNG")
    return buffer.getvalue()


def post_logo(client, org, name, content):
    url = f"{ORGS}{org.pk}/change/"
    data = change_form_data(client.get(url))
    return client.post(url, {**data, "logo": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
         "scripts are not allowed in logos"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
         "an event-handler attribute (onload=&quot;…&quot;), which runs script"),
    ],
    ids=["script", "onload"],
)
def test_an_svg_that_runs_script_is_refused_in_the_admin(admin_client, svg, message):
    org = OrganizationFactory()
    response = post_logo(admin_client, org, "logo.svg", svg)
    assert response.status_code == 200
    assert message in response.content.decode()
    org.refresh_from_db()
    assert not org.logo


def test_a_png_logo_from_staff_is_stored_and_audited(admin_client, admin_user):
    org = OrganizationFactory()
    assert post_logo(admin_client, org, "acme.gif", png()).status_code == 302
    org.refresh_from_db()
    assert org.logo.name.endswith(".png") and org.logo.read() == png()
    entry = AuditEntry.objects.get(action="organization.update")
    assert entry.actor == admin_user and entry.new_value == {"logo": "new logo"}


def test_an_svg_logo_from_staff_is_stored_sanitized_and_delivers_the_benefit(admin_client,
                                                                             admin_user, tiers):
    org = OrganizationFactory()
    membership = membership_import(organization=org, tier=tiers["general"],
                                   starts_on=timezone.localdate(), actor=admin_user)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><!-- c --><rect/></svg>'
    assert post_logo(admin_client, org, "acme.svg", svg).status_code == 302
    org.refresh_from_db()
    assert org.logo.name.endswith(".svg") and b"<!--" not in org.logo.read()
    item = ChecklistItem.objects.for_holder(membership).get(key=LOGO_BENEFIT)
    assert item.status == ChecklistItem.Status.DELIVERED


def test_staff_edit_an_organization_through_the_service(admin_client, admin_user):
    org = OrganizationFactory(display_name="Old name")
    url = f"{ORGS}{org.pk}/change/"
    data = change_form_data(admin_client.get(url)) | {"display_name": "New name"}
    assert admin_client.post(url, data).status_code == 302
    assert Organization.objects.get(pk=org.pk).display_name == "New name"
    entry = AuditEntry.objects.get(action="organization.update")
    assert entry.old_value == {"display_name": "Old name"}
    assert entry.new_value == {"display_name": "New name"}
