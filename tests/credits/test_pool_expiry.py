"""The pool's daily job: lapsed lots expire once, and lots lapsing within 60 days warn staff
and the projects holding their credits once per lot and threshold, however often it runs."""

from decimal import Decimal

import pytest

from credits import tasks
from credits.ledger import balances, posting
from credits.ledger.models import LedgerTransaction
from credits.models import ExpiryWarning
from credits.services import expiry
from foundation.models import OutboundEmail
from tests.accounts.factories import UserFactory
from tests.concurrency import at_once
from tests.credits.pool_helpers import allocated, credits_in_pool, maintained

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, email="staff@foundation.example")


def test_running_the_job_twice_expires_and_warns_once(staff, django_capture_on_commit_callbacks):
    project, person = maintained()
    soon = credits_in_pool(amount="500", days=30)  # lapses within 60 days
    credits_in_pool(soon, amount="200", days=-2)  # lapsed already
    later = credits_in_pool(amount="900", days=61)  # not yet within the window
    allocated(project, soon, "100")

    with django_capture_on_commit_callbacks(execute=True):
        first = expiry.run_daily()
        second = expiry.run_daily()
        tasks.pool_daily()

    assert (first.expired, first.warned) == (1, 1)
    assert (second.expired, second.warned) == (0, 0)
    assert LedgerTransaction.objects.filter(kind="expiry").count() == 1
    assert balances.pool_figures().providers[0][1].expired == Decimal("200.00")
    assert ExpiryWarning.objects.get().lot.provider == soon
    to_staff = OutboundEmail.objects.get(kind="credits_expiring_staff")
    assert to_staff.to == staff.email
    assert "$400" in to_staff.body_text and f"{project}: $100" in to_staff.body_text
    to_project = OutboundEmail.objects.get(kind="credits_expiring")
    assert to_project.to == person.email and "$100" in to_project.subject
    assert not ExpiryWarning.objects.filter(lot__provider=later).exists()


def test_a_lot_with_nothing_left_is_not_warned_about(staff):
    project, _ = maintained()
    cloud = credits_in_pool(amount="100", days=20)
    allocated(project, cloud, "100")
    posting.record_usage(posting.allocation_account(project, cloud), Decimal("100"),
                         on=cloud.ledger_lots.get().contribution.received_on, key="used")
    assert expiry.warn_expiring() == 0
    assert not OutboundEmail.objects.filter(kind__startswith="credits_expiring").exists()


def test_a_missed_run_only_makes_the_warning_late(staff):
    credits_in_pool(amount="100", days=5)  # entered the window weeks ago
    assert expiry.warn_expiring() == 1


@pytest.mark.django_db(transaction=True)
def test_two_jobs_at_once_warn_once():
    UserFactory(is_staff=True, email="staff@foundation.example")
    credits_in_pool(amount="100", days=10)
    results = at_once(expiry.warn_expiring, expiry.warn_expiring)
    assert sorted(results) == [0, 1]
    assert OutboundEmail.objects.filter(kind="credits_expiring_staff").count() == 1
