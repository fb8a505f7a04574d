"""Countries are ISO countries chosen from a list, on organizations and billing addresses;
free text from elsewhere maps to a country or stays blank."""

import pytest

from foundation.accounts.countries import country_code
from foundation.accounts.forms import OrganizationForm
from foundation.billing.models import Invoice
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("text", "code"), [
    ("Germany", "DE"), ("germany", "DE"), ("de", "DE"), ("United States", "US"),
    ("USA", "US"), ("South Korea", "KR"), ("Narnia", ""), ("", ""), ("  ", ""),
])
def test_free_text_maps_to_a_country_or_stays_blank(text, code):
    assert country_code(text) == code


def test_the_organization_form_offers_a_list_and_refuses_a_made_up_country():
    data = {"legal_name": "Acme AI GmbH", "display_name": "Acme AI", "slug": "acme-ai",
            "type": "company", "employees": "10"}
    form = OrganizationForm({**data, "country": "Narnia"}, user=UserFactory())
    assert not form.is_valid() and "country" in form.errors
    form = OrganizationForm({**data, "country": "DE"}, user=UserFactory())
    assert form.is_valid(), form.errors
    assert 'value="DE"' in str(form["country"])


def test_the_billing_country_goes_from_the_application_onto_the_invoice(
    client, apply_for, sign, billed_org_country="FR"
):
    application = apply_for("general", billing_country=billed_org_country)
    sign(application)
    invoice = Invoice.objects.get()
    assert invoice.billing_country == "FR"
    admin = application.organization.roles.get(role="admin").user
    client.force_login(admin)
    page = client.get(f"/dashboard/{application.organization.slug}/invoices/{invoice.pk}/")
    assert "France" in page.content.decode()
