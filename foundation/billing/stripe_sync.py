"""Mirror our invoices on Stripe. Every create call carries an idempotency key derived from
our invoice, so a retried task never creates a second customer, invoice or line."""

from stripe.params import InvoiceCreateParams, InvoiceCreateParamsCustomField

from . import services, stripe_api
from .models import Invoice, Payment, StripeCustomer


def _customer_id(client, invoice: Invoice) -> str:
    org = invoice.organization
    known = StripeCustomer.objects.filter(organization=org).first()
    if known:
        return known.stripe_id
    customer = client.v1.customers.create(
        params={
            "name": invoice.billing_name,
            "email": invoice.billing_emails[0] if invoice.billing_emails else None,
            "description": org.display_name,
            "metadata": {"portal_organization_id": str(org.pk)},
        },
        options={"idempotency_key": f"portal-customer-org-{org.pk}"},
    )
    StripeCustomer.objects.get_or_create(organization=org, defaults={"stripe_id": customer.id})
    return customer.id


def push_invoice(invoice_id: int) -> None:
    """Create, fill, finalize and send the Stripe invoice for an issued invoice of ours."""
    invoice = Invoice.objects.select_related("organization").get(pk=invoice_id)
    if invoice.status != Invoice.Status.OPEN or invoice.hosted_invoice_url:
        return
    client = stripe_api.client()
    key = f"portal-invoice-{invoice.pk}"
    customer = _customer_id(client, invoice)
    custom_fields: list[InvoiceCreateParamsCustomField] = [
        {"name": name, "value": value}
        for name, value in [("Invoice", invoice.number), ("PO number", invoice.po_number),
                            ("Tax ID", invoice.tax_id)]
        if value
    ]
    params: InvoiceCreateParams = {
        "customer": customer,
        "collection_method": "send_invoice",
        "days_until_due": 30,
        "currency": "usd",
        "auto_advance": False,
        "custom_fields": custom_fields,
        "metadata": {"portal_invoice_id": str(invoice.pk), "number": invoice.number or ""},
        "payment_settings": {
            "payment_method_types": ["card", "customer_balance"],
            "payment_method_options": {
                "customer_balance": {
                    "funding_type": "bank_transfer",
                    "bank_transfer": {"type": "us_bank_transfer"},
                }
            },
        },
    }
    stripe_invoice = client.v1.invoices.create(
        params=params, options={"idempotency_key": f"{key}-create"}
    )
    services.invoice_stripe_linked(invoice_id=invoice.pk, stripe_invoice_id=stripe_invoice.id)
    for line in invoice.lines.all():
        client.v1.invoice_items.create(
            params={
                "customer": customer,
                "invoice": stripe_invoice.id,
                "currency": "usd",
                "amount": stripe_api.to_cents(line.amount),
                "description": line.description,
            },
            options={"idempotency_key": f"{key}-line-{line.pk}"},
        )
    finalized = client.v1.invoices.finalize_invoice(
        stripe_invoice.id, options={"idempotency_key": f"{key}-finalize"}
    )
    client.v1.invoices.send_invoice(stripe_invoice.id, options={"idempotency_key": f"{key}-send"})
    services.invoice_stripe_synced(
        invoice_id=invoice.pk,
        stripe_invoice_id=stripe_invoice.id,
        hosted_url=finalized.hosted_invoice_url or "",
    )


def push_status(invoice_id: int) -> None:
    """Void, or mark paid out of band, the Stripe twin of an invoice changed here."""
    invoice = Invoice.objects.get(pk=invoice_id)
    if not invoice.stripe_invoice_id:
        return
    client = stripe_api.client()
    key = f"portal-invoice-{invoice.pk}"
    remote = client.v1.invoices.retrieve(invoice.stripe_invoice_id)
    if invoice.status == Invoice.Status.VOID and remote.status in {"open", "uncollectible"}:
        client.v1.invoices.void_invoice(remote.id, options={"idempotency_key": f"{key}-void"})
    if invoice.status == Invoice.Status.UNCOLLECTIBLE and remote.status == "open":
        client.v1.invoices.mark_uncollectible(
            remote.id, options={"idempotency_key": f"{key}-uncollectible"})
    paid_here = invoice.payments.counted().exclude(method=Payment.Method.STRIPE)
    if (invoice.status == Invoice.Status.PAID and paid_here.exists()
            and remote.status in {"open", "uncollectible"}):
        client.v1.invoices.pay(
            remote.id, params={"paid_out_of_band": True},
            options={"idempotency_key": f"{key}-paid-out-of-band"},
        )
