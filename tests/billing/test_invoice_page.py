import pytest

from foundation.accounts.models import OrganizationRole, Role
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(invoice, slug=None):
    return f"/dashboard/{slug or invoice.organization.slug}/invoices/{invoice.pk}/"


def test_billing_contact_and_admin_see_the_printable_invoice(client, billed_org, make_invoice):
    _, admin, billing = billed_org
    invoice = make_invoice()
    for person in (admin, billing):
        client.force_login(person)
        html = client.get(url(invoice)).content.decode()
        assert invoice.number in html
        assert "PO-7781" in html and "DE123456789" in html and "25,000.00" in html
        assert "issued by the foundation directly" in html
        assert "@media print" not in html  # print rules live in the stylesheet


def test_dashboard_lists_the_invoices_for_billing_people(client, billed_org, make_invoice):
    org, _, billing = billed_org
    invoice = make_invoice()
    client.force_login(billing)
    assert url(invoice) in client.get(f"/dashboard/{org.slug}/").content.decode()


def test_other_roles_of_the_organization_get_404(client, billed_org, make_invoice):
    org, _, _ = billed_org
    invoice = make_invoice()
    technical = UserFactory()
    OrganizationRole.objects.create(organization=org, user=technical, role=Role.TECHNICAL)
    client.force_login(technical)
    assert client.get(url(invoice)).status_code == 404
    assert url(invoice) not in client.get(f"/dashboard/{org.slug}/").content.decode()


def test_another_organizations_invoice_is_404(client, make_invoice):
    invoice = make_invoice()
    other, other_admin = OrganizationFactory.with_admin()
    client.force_login(other_admin)
    assert client.get(url(invoice)).status_code == 404
    response = client.get(url(invoice, slug=other.slug))  # own slug, their invoice id
    assert response.status_code == 404
    assert invoice.number.encode() not in response.content


def test_draft_invoice_is_not_shown(client, billed_org, make_invoice):
    _, admin, _ = billed_org
    draft = make_invoice(issue=False)
    client.force_login(admin)
    assert client.get(url(draft)).status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, make_invoice):
    response = client.get(url(make_invoice()))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
