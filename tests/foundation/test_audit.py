import pytest

from foundation.accounts.models import Organization
from foundation.models import AuditEntry
from members.models import catalogue
from tests.accounts.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_admin_change_is_audited_with_old_and_new_values(admin_client, admin_user):
    before, after = OrganizationFactory(), OrganizationFactory()
    testimonial = catalogue.Testimonial.objects.create(organization=before, quote="Q", author="Ada")
    response = admin_client.post(f"/admin/members/testimonial/{testimonial.pk}/change/", {
        "organization": after.pk, "quote": "Q", "author": "Grace"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="admin.change")
    assert entry.actor == admin_user
    # A foreign key reads as its object, not its id.
    assert entry.old_value == {"organization": str(before), "author": "Ada"}
    assert entry.new_value == {"organization": str(after), "author": "Grace"}


def test_history_page_shows_audit_entries(admin_client, admin_user):
    from foundation import audit

    org = OrganizationFactory()
    audit.record(org, actor=admin_user, action="organization.update", note="renamed")
    html = admin_client.get(f"/admin/accounts/organization/{org.pk}/history/").content.decode()
    assert 'id="audit-log"' in html
    assert "organization.update" in html and "renamed" in html


def test_admin_delete_is_audited(admin_client):
    org = OrganizationFactory()
    admin_client.post(f"/admin/accounts/organization/{org.pk}/delete/", {"post": "yes"})
    assert not Organization.objects.exists()
    assert AuditEntry.objects.filter(action="admin.delete", object_repr=str(org)).exists()
