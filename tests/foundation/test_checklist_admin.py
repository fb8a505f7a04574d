"""Staff edit checklist items through the service, which audits every change."""

from datetime import date

import pytest
from django.utils import timezone

from foundation.checklists.models import ChecklistItem
from foundation.checklists.services import ItemSpec, checklist_ensure
from foundation.models import AuditEntry
from members.demo_programme import seed_catalogue
from members.services.memberships import membership_import
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.admin_forms import change_form_data

pytestmark = pytest.mark.django_db

ITEMS = "/admin/checklists/checklistitem/"


@pytest.fixture
def item(db):
    [item] = checklist_ensure(holder=OrganizationFactory(), items=[
        ItemSpec(key="logo", title="Logo on the website", description="In the footer",
                 due_date=date(2026, 12, 1))])
    return item


def test_staff_set_owner_due_date_and_proof_and_each_change_is_audited(admin_client,
                                                                      admin_user, item):
    owner = UserFactory(email="events@example.org", first_name="", last_name="",
                        is_staff=True)
    response = admin_client.post(f"{ITEMS}{item.pk}/change/", {
        "owner": owner.pk, "due_date": "2026-12-15", "proof": "https://example.org/#members"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.owner, item.due_date, item.proof) == (
        owner, date(2026, 12, 15), "https://example.org/#members")
    entry = AuditEntry.objects.get(action="checklist.update")
    assert entry.actor == admin_user
    assert entry.old_value == {"owner": "—", "due_date": "2026-12-01", "proof": "—"}
    assert entry.new_value == {"owner": "events@example.org", "due_date": "2026-12-15",
                               "proof": "https://example.org/#members"}


def test_saving_an_unchanged_item_writes_no_audit_entry(admin_client, item):
    url = f"{ITEMS}{item.pk}/change/"
    assert admin_client.post(url, change_form_data(admin_client.get(url))).status_code == 302
    assert not AuditEntry.objects.filter(action__startswith="checklist").exists()


def test_title_description_and_what_the_member_provides_are_read_only(admin_client, item):
    admin_client.post(f"{ITEMS}{item.pk}/change/", {
        "title": "Something else", "description": "Changed", "member_must_provide": "Money",
        "due_date": "2026-12-01"})
    item.refresh_from_db()
    assert (item.title, item.description, item.member_must_provide) == (
        "Logo on the website", "In the footer", "")


def test_the_membership_checklist_inline_is_read_only(admin_client, admin_user):
    tiers = seed_catalogue()
    membership = membership_import(organization=OrganizationFactory(), tier=tiers["general"],
                                   starts_on=timezone.localdate(), actor=admin_user)
    url = f"/admin/members/membership/{membership.pk}/change/"
    page = admin_client.get(url)
    [inline] = page.context["inline_admin_formsets"]
    assert inline.formset.model is ChecklistItem
    assert not (inline.has_add_permission or inline.has_change_permission
                or inline.has_delete_permission)
    assert f"{ITEMS}{inline.formset.forms[0].instance.pk}/change/" in page.content.decode()
    data = change_form_data(page)
    prefix = inline.formset.prefix
    data |= {f"{prefix}-0-proof": "forged", f"{prefix}-0-owner": admin_user.pk,
             f"{prefix}-0-DELETE": "on"}
    assert admin_client.post(url, data).status_code == 302
    items = ChecklistItem.objects.for_holder(membership)
    assert items.count() == len(inline.formset.forms)
    assert not items.filter(proof="forged").exists()
    assert not items.filter(owner=admin_user).exists()
