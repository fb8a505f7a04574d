from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Invoices and payments, through Stripe when it is configured."""

    name = "foundation.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from foundation import emails

        from . import pdf

        emails.register_attachment("invoice_pdf", pdf.invoice_attachment)
