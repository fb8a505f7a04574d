"""The one place that talks to Stripe: the raw SDK, with the API version pinned here."""

from decimal import Decimal

import stripe
from django.conf import settings

API_VERSION = "2026-10-28.endive"
stripe.api_version = API_VERSION

# Tests put a stand-in for Stripe's HTTP API here; nothing else changes it.
http_client: stripe.HTTPClient | None = None

RETRYABLE_ERRORS = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


def enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def client() -> stripe.StripeClient:
    """A client that gives up on a silent Stripe after STRIPE_TIMEOUT seconds (the SDK's own
    default is 80), so a hung call fails into the task's retries instead of holding a worker;
    STRIPE_API_BASE points it elsewhere than Stripe (the fault suite's fake)."""
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        stripe_version=API_VERSION,
        http_client=http_client or stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT),
        max_network_retries=settings.STRIPE_NETWORK_RETRIES,
        base_addresses={"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else {},
    )


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
