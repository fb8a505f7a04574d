"""Received contributions and hosted projects for the ledger's tests, written straight to
the tables (the pledge services have their own tests)."""

from datetime import date
from decimal import Decimal
from itertools import count

from django.db.models import Sum

from credits.models import Contribution, Pledge, Provider
from projects.models import Project
from tests.accounts.factories import OrganizationFactory

_serial = count(1)


def a_pledge() -> Pledge:
    return Pledge.objects.create(
        organization=OrganizationFactory(), year=2026, status=Pledge.Status.CONFIRMED,
        contact_name="Lin Cloud", contact_email="lin@cloud.example", sla_hours=24,
        support_channel=Pledge.Channel.EMAIL, support_channel_value="lin@cloud.example")


def received_credit(pledge: Pledge, provider: Provider, amount: str | Decimal,
                    valid_to: date, on: date) -> Contribution:
    return Contribution.objects.create(
        pledge=pledge, kind=Contribution.Kind.CREDIT, provider=provider,
        face_value=Decimal(amount), valid_from=on, valid_to=valid_to,
        status=Contribution.Status.RECEIVED, amount_granted=Decimal(amount), received_on=on)


def received_cash(pledge: Pledge, amount: str | Decimal, on: date) -> Contribution:
    return Contribution.objects.create(
        pledge=pledge, kind=Contribution.Kind.CASH, cash_amount=Decimal(amount),
        status=Contribution.Status.RECEIVED, amount_granted=Decimal(amount), received_on=on)


def a_provider() -> Provider:
    return Provider.objects.create(name=f"Cloud {next(_serial)}")


def a_project() -> Project:
    n = next(_serial)
    return Project.objects.create(slug=f"ledger-{n}", name=f"Ledger {n}",
                                  status=Project.Status.HOSTED)


def unbalanced_transactions() -> list:
    from credits.ledger.models import Entry

    return list(Entry.objects.values("transaction").annotate(total=Sum("amount"))
                .exclude(total=0))
