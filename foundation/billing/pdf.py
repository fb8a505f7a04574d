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


def _weasyprint() -> Any:
    """WeasyPrint, imported on first use: it takes a second to load, so only the processes that
    render a PDF load it. Importing it turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole
    process, which would let damaged logos through foundation.uploads; an invoice holds no
    image, so the flag is set back at once (web and worker processes run one request or task
    at a time, so no upload is checked in between)."""
    from PIL import ImageFile

    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    import weasyprint

    ImageFile.LOAD_TRUNCATED_IMAGES = truncated
    return weasyprint


def url_fetcher() -> Any:
    """WeasyPrint's fetcher with no protocol allowed: it refuses every URL, so rendering an
    invoice reaches neither the network nor the disk."""
    return _weasyprint().URLFetcher(allowed_protocols=())


def invoice_pdf(invoice: Invoice) -> bytes:
    weasyprint = _weasyprint()
    html = render_to_string("billing/invoice_pdf.html", document_context(invoice))
    stylesheet = weasyprint.CSS(filename=finders.find(STYLESHEET))
    document = weasyprint.HTML(string=html, url_fetcher=url_fetcher())
    return document.write_pdf(stylesheets=[stylesheet])


def invoice_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"


def invoice_attachment(spec: dict[str, Any]) -> tuple[str, bytes, str]:
    """The "invoice_pdf" e-mail attachment, made when the message is sent."""
    invoice = Invoice.objects.prefetch_related("lines", "payments").get(pk=spec["invoice_id"])
    return invoice_filename(invoice), invoice_pdf(invoice), "application/pdf"
