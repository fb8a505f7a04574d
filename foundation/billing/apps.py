from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Invoices and payments, through Stripe when it is configured."""

    name = "foundation.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from foundation import emails
        from foundation.accounts import panels

        from . import next_steps, pdf

        emails.register_attachment("invoice_pdf", pdf.invoice_attachment)
        panels.next_step_sources.append(next_steps.invoices_to_pay)
