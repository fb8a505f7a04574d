"""Arrangements the fault scenarios share, made through the portal's services in this test
process, on the harness's database (see conftest.py)."""

import json
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from credits.models import Benefit, Contribution, Level, Pledge, Provider
from credits.services import pledges
from credits.services.pledges import Contact, ContributionInput
from foundation.billing import services as billing
from foundation.billing.models import Invoice
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.billing.webhooks import signature

CONTACT = Contact(name="Lin Cloud", email="lin@cloud.example", sla_hours=24,
                  support_channel=Pledge.Channel.EMAIL,
                  support_channel_value="oss-support@cloud.example",
                  support_hours="Monday to Friday, 9:00-17:00 PT")
BENEFITS = ("website-placement", "logo-on-slides", "newsletter-mention")


def programme() -> dict:
    """One level (Supporter, from $250,000) with three benefits, and a provider."""
    level, _ = Level.objects.get_or_create(name="Supporter",
                                           defaults={"threshold_usd": Decimal("250000"),
                                                     "order": 3})
    owner = UserFactory(is_staff=True)
    for key in BENEFITS:
        Benefit.objects.get_or_create(key=key, defaults={
            "title": key.replace("-", " ").capitalize(), "level": level,
            "fulfilment": Benefit.Fulfilment.STAFF, "due_days": 30, "default_owner": owner})
    provider, _ = Provider.objects.get_or_create(name="AWS", defaults={"services": "EC2"})
    return {"aws": provider, "level": level, "staff": UserFactory(is_staff=True)}


def pledge(contribution: ContributionInput) -> Pledge:
    org, admin = OrganizationFactory.with_admin()
    return pledges.pledge_submit(organization=org, actor=admin, contributions=[contribution],
                                 contact=CONTACT, listed_publicly=True,
                                 billing_address="1 Cloud Way")


def credit_pledge(programme: dict) -> Pledge:
    today = timezone.localdate()
    return pledge(ContributionInput(
        kind="credit", provider=programme["aws"], service="EC2", face_value=Decimal("300000"),
        valid_from=today, valid_to=today + timedelta(days=365),
        redemption_method="account_credit"))


def confirm(programme: dict, pledge: Pledge) -> Pledge:
    return pledges.pledge_confirm(pledge_id=pledge.pk, actor=programme["staff"],
                                  agreement_signed_on=timezone.localdate())


def cash_invoice(programme: dict, stripe_id: str) -> tuple[Contribution, Invoice]:
    """A confirmed pledge of $250,000 in cash: its contribution and its open invoice, which
    Stripe knows as `stripe_id`."""
    confirmed = confirm(programme, pledge(ContributionInput(kind="cash",
                                                            cash_amount=Decimal("250000"))))
    contribution = confirmed.contributions.get()
    invoice = billing.invoice_stripe_linked(invoice_id=contribution.invoice_id,
                                            stripe_invoice_id=stripe_id)
    return contribution, invoice


def webhook(harness, event: dict) -> int:
    """Deliver a Stripe event to the harness's gunicorn, signed as Stripe signs it."""
    body = json.dumps(event).encode()
    status, _, _ = harness.get("/stripe/webhook/", method="POST", data=body, headers={
        "Content-Type": "application/json",
        "Stripe-Signature": signature(body, harness.webhook_secret)})
    return status
