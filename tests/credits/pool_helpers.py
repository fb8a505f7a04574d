"""A hosted project with a maintainer, and a provider's credits in the pool, for the pool's
self-service tests (the ledger's own helpers write the received contributions)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from credits.ledger import posting
from credits.models import Provider
from projects.models import Project, ProjectMaintainer
from tests.accounts.factories import UserFactory
from tests.credits.ledger_helpers import (
    a_pledge,
    a_project,
    a_provider,
    received_cash,
    received_credit,
)

TODAY = timezone.localdate()


def maintained(status: str = Project.Status.HOSTED):
    """A project of that status and its maintainer."""
    project = a_project()
    if status != project.status:
        Project.objects.filter(pk=project.pk).update(status=status)
        project.refresh_from_db()
    person = UserFactory()
    ProjectMaintainer.objects.create(project=project, user=person)
    return project, person


def credits_in_pool(provider: Provider | None = None, amount: str = "1000", days: int = 90,
                    pledge=None) -> Provider:
    """`amount` of a provider's credits received today (a month before it lapsed, for a lot
    already lapsed), lapsing in `days` days."""
    provider = provider or a_provider()
    valid_to = TODAY + timedelta(days=days)
    posting.receive_contribution(received_credit(
        pledge or a_pledge(), provider, amount, valid_to,
        TODAY if days >= 0 else valid_to - timedelta(days=30)))
    return provider


def cash_in_pool(amount: str = "500") -> None:
    posting.receive_contribution(received_cash(a_pledge(), amount, TODAY))


def allocated(project, provider, amount: str = "300", key: str = "test:allocation"):
    posting.allocate(project, provider, Decimal(amount), key=key)
    return posting.allocation_account(project, provider)
