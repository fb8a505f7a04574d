"""Every issued invoice is also a PDF: downloaded from the dashboard, attached to its e-mail."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from PIL import ImageFile
from pypdf import PdfReader

from foundation import emails
from foundation.accounts.models import OrganizationRole, Role
from foundation.billing import pdf, services
from foundation.billing.models import Invoice, Payment
from foundation.models import OutboundEmail
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def text_of(content: bytes) -> str:
    """The PDF's words, one space apart wherever the layout broke a line."""
    assert content.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def pdf_url(invoice, slug=None):
    return f"/dashboard/{slug or invoice.organization.slug}/invoices/{invoice.pk}/pdf/"


def test_an_unpaid_invoice_as_pdf_says_what_the_page_says(make_invoice):
    invoice = make_invoice(amount="1234567.50")
    text = text_of(pdf.invoice_pdf(invoice))
    assert f"Invoice {invoice.number}" in text
    assert "$1,234,567.50" in text
    assert "PO-7781" in text and "DE123456789" in text
    assert "Hauptstrasse 1" in text and "10115 Berlin" in text
    assert "General membership, 12 months" in text
    assert invoice.due_date.strftime("%-d %B %Y") in text
    assert "Open" in text and "How to pay" in text and "bank transfer" in text


def test_a_paid_invoice_as_pdf_shows_the_payment_and_says_paid(make_invoice):
    invoice = make_invoice(amount="25000.00")
    services.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                            amount=Decimal("25000.00"), reference="WIRE-881")
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == Invoice.Status.PAID
    text = text_of(pdf.invoice_pdf(invoice))
    assert invoice.number in text and "$25,000.00" in text and "PO-7781" in text
    assert "reference WIRE-881" in text and "Paid in full" in text
    assert "How to pay" not in text


def test_a_partly_paid_invoice_as_pdf_shows_the_balance(make_invoice):
    invoice = make_invoice(amount="25000.00")
    services.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                            amount=Decimal("10000.00"), reference="WIRE-1")
    text = text_of(pdf.invoice_pdf(Invoice.objects.get(pk=invoice.pk)))
    assert "Balance due: $15,000.00 USD" in text


def test_the_stripe_payment_page_is_named_in_full_in_the_pdf(make_invoice):
    invoice = make_invoice()
    Invoice.objects.filter(pk=invoice.pk).update(
        hosted_invoice_url="https://invoice.stripe.com/i/acct_1/test_abc")
    text = text_of(pdf.invoice_pdf(Invoice.objects.get(pk=invoice.pk)))
    assert "Pay online: https://invoice.stripe.com/i/acct_1/test_abc" in text
    assert "Pay by card or bank transfer" not in text  # the page's button is not printed


@pytest.mark.parametrize("url", ["https://example.org/logo.png", "file:///etc/passwd"])
def test_rendering_fetches_no_url(url):
    with pytest.raises(ValueError, match="disallowed protocol"):
        pdf.url_fetcher().fetch(url)


def test_rendering_a_pdf_leaves_damaged_images_refused(make_invoice):
    """Importing WeasyPrint tells Pillow to load truncated images, process-wide: the logo
    checks in foundation.uploads must still refuse them once a PDF was rendered."""
    pdf.invoice_pdf(make_invoice())
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_ci_and_the_image_install_the_same_libraries_for_pdfs():
    ci = re.search(r'PDF_PACKAGES="([^"]+)"', (ROOT / ".ci/run").read_text())[1].split()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "libpango-1.0-0" in ci
    assert [package for package in ci if package not in dockerfile] == []


def test_admin_and_billing_contact_download_the_pdf(client, billed_org, make_invoice):
    _, admin, billing = billed_org
    invoice = make_invoice()
    for person in (admin, billing):
        client.force_login(person)
        response = client.get(pdf_url(invoice))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
        assert invoice.number in text_of(response.content)


def test_the_invoice_page_and_the_organization_page_link_the_pdf(client, billed_org,
                                                                 make_invoice):
    org, admin, _ = billed_org
    invoice = make_invoice()
    client.force_login(admin)
    assert pdf_url(invoice) in client.get(
        f"/dashboard/{org.slug}/invoices/{invoice.pk}/").content.decode()
    assert pdf_url(invoice) in client.get(f"/dashboard/{org.slug}/").content.decode()


def test_another_organizations_admin_gets_404_for_the_pdf(client, make_invoice):
    invoice = make_invoice()
    other, other_admin = OrganizationFactory.with_admin()
    client.force_login(other_admin)
    assert client.get(pdf_url(invoice)).status_code == 404
    assert client.get(pdf_url(invoice, slug=other.slug)).status_code == 404


def test_a_technical_contact_gets_404_and_a_visitor_the_login(client, billed_org, make_invoice):
    org, _, _ = billed_org
    invoice = make_invoice()
    response = client.get(pdf_url(invoice))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    technical = UserFactory()
    OrganizationRole.objects.create(organization=org, user=technical, role=Role.TECHNICAL)
    client.force_login(technical)
    assert client.get(pdf_url(invoice)).status_code == 404


def test_a_draft_has_no_pdf(client, billed_org, make_invoice):
    _, admin, _ = billed_org
    draft = make_invoice(issue=False)
    client.force_login(admin)
    assert client.get(pdf_url(draft)).status_code == 404


def test_the_invoice_email_carries_the_pdf_made_at_send_time(
    make_invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice(amount="25000.00")
    [message] = mail.outbox
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    text = text_of(content)
    assert invoice.number in text and "$25,000.00" in text and "PO-7781" in text
    assert "attached as a PDF" in message.body
    stored = OutboundEmail.objects.get(kind="invoice_issued")
    assert stored.attachments == [{"kind": "invoice_pdf", "invoice_id": invoice.pk}]
    assert "%PDF" not in stored.body_text + stored.body_html


def test_an_unregistered_attachment_kind_is_refused_when_queued(db):
    with pytest.raises(ValueError, match="no_such_file"):
        emails.queue_rendered(key="k", kind="note", to="a@example.org", subject="S", text="T",
                              attachments=[{"kind": "no_such_file"}])
    assert not OutboundEmail.objects.exists()
