from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Invoices and payments, through Stripe when it is configured."""

    name = "foundation.billing"
    label = "billing"
    verbose_name = "Billing"
