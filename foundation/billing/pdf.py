"""Invoices as PDF files. The PDF is rendered by WeasyPrint from the same document template as
the invoice page (templates/billing/_invoice_document.html), so the two cannot drift. Nothing is
fetched while rendering: the print stylesheet is read from our static files and every URL in
the document is refused."""

from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from .models import Invoice

STYLESHEET = "css/invoice_pdf.css"


def document_context(invoice: Invoice) -> dict[str, Any]:
    """What the invoice document shows, for the page and the PDF alike."""
    return {
        "FOUNDATION_NAME": settings.FOUNDATION_NAME,
        "invoice": invoice,
        "bank_transfer": settings.BANK_TRANSFER_INSTRUCTIONS,
        "payments": [p for p in invoice.payments.all() if p.counted],
    }


def url_fetcher():
    """WeasyPrint's fetcher with no protocol allowed: it refuses every URL, so rendering an
    invoice reaches neither the network nor the disk."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=())


def invoice_pdf(invoice: Invoice) -> bytes:
    # WeasyPrint takes a second to load, so only the processes that render a PDF load it.
    from weasyprint import CSS, HTML

    html = render_to_string("billing/invoice_pdf.html", document_context(invoice))
    stylesheet = CSS(filename=finders.find(STYLESHEET))
    return HTML(string=html, url_fetcher=url_fetcher()).write_pdf(stylesheets=[stylesheet])


def invoice_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"


def invoice_attachment(spec: dict[str, Any]) -> tuple[str, bytes, str]:
    """The "invoice_pdf" e-mail attachment, made when the message is sent."""
    invoice = Invoice.objects.prefetch_related("lines", "payments").get(pk=spec["invoice_id"])
    return invoice_filename(invoice), invoice_pdf(invoice), "application/pdf"
