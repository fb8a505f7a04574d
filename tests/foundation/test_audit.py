import pytest

from foundation.models import AuditEntry
from members.models import Organization
from tests.members.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_admin_change_is_audited_with_old_and_new_values(admin_client, admin_user):
    org = OrganizationFactory(employees=100)
    url = f"/admin/members/organization/{org.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields if name != "logo"}
    data.update({
        "employees": "250",
        "roles-TOTAL_FORMS": "0", "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0", "roles-MAX_NUM_FORMS": "1000",
    })
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="admin.change")
    assert entry.actor == admin_user
    assert entry.old_value == {"employees": 100}
    assert entry.new_value == {"employees": 250}


def test_history_page_shows_audit_entries(admin_client, admin_user):
    from foundation import audit

    org = OrganizationFactory()
    audit.record(org, actor=admin_user, action="organization.update", note="renamed")
    html = admin_client.get(f"/admin/members/organization/{org.pk}/history/").content.decode()
    assert 'id="audit-log"' in html
    assert "organization.update" in html and "renamed" in html


def test_admin_delete_is_audited(admin_client):
    org = OrganizationFactory()
    admin_client.post(f"/admin/members/organization/{org.pk}/delete/", {"post": "yes"})
    assert not Organization.objects.exists()
    assert AuditEntry.objects.filter(action="admin.delete", object_repr=str(org)).exists()
