"""The ledger: receipts once, soonest-expiring lots first, never overdrawn, explicit cash
cover, usage with its excess, expiry once, figures from the entries, immutable rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from credits.ledger import balances, posting
from credits.ledger.models import Account, Entry, ImmutableError, LedgerTransaction, Lot
from credits.ledger.posting import LedgerError
from credits.services import pledges
from credits.signals import contribution_received
from tests.credits.conftest import credit
from tests.credits.ledger_helpers import (
    a_pledge,
    a_project,
    a_provider,
    received_cash,
    received_credit,
    unbalanced_transactions,
)

TODAY = timezone.localdate()


def days(n):
    return TODAY + timedelta(days=n)


@pytest.fixture
def pledge(db):
    return a_pledge()


@pytest.fixture
def cloud(db):
    return a_provider()


def test_a_received_credit_posts_one_lot_once(pledge, cloud):
    contribution = received_credit(pledge, cloud, "1000", days(90), TODAY)
    first = posting.receive_contribution(contribution)
    again = posting.receive_contribution(contribution)
    contribution_received.send(sender=type(contribution), contribution=contribution)

    assert again == first
    assert Lot.objects.get().amount == Decimal("1000.00")
    assert Entry.objects.count() == 2 and LedgerTransaction.objects.count() == 1
    assert balances.available(cloud) == Decimal("1000.00")
    assert balances.soonest_expiry(cloud) == days(90)
    assert not unbalanced_transactions()


def test_received_cash_goes_to_the_earmarked_pool(pledge, cloud):
    posting.receive_contribution(received_cash(pledge, "2500", TODAY))
    assert balances.cash_available() == Decimal("2500.00")
    assert balances.available(cloud) == 0
    assert Lot.objects.get().valid_to is None


def test_a_pledged_contribution_is_not_received(pledge, cloud):
    contribution = received_credit(pledge, cloud, "10", days(9), TODAY)
    contribution.status = "pledged"
    with pytest.raises(LedgerError):
        posting.receive_contribution(contribution)
    assert not Lot.objects.exists()


def test_the_receipt_service_posts_the_lot_through_the_signal(
        programme, submit, confirm, staff, django_capture_on_commit_callbacks):
    aws = programme["aws"]
    pledge = submit(credit("300000", aws))
    confirm(pledge)
    contribution = pledge.contributions.get()
    for _ in range(2):  # recorded twice: still one lot
        with django_capture_on_commit_callbacks(execute=True):
            pledges.contribution_receive(
                contribution_id=contribution.pk, actor=staff, amount_granted="295000",
                redemption_reference="acct-1", received_on=TODAY)
    assert balances.available(aws) == Decimal("295000.00")
    assert Lot.objects.get().valid_to == contribution.valid_to


def test_allocation_draws_the_soonest_expiring_lots_first(pledge, cloud):
    late, soon, middle = (received_credit(pledge, cloud, "100", days(d), TODAY)
                          for d in (300, 30, 60))
    lots = {}
    for contribution in (late, soon, middle):
        posting.receive_contribution(contribution)
        lots[contribution.pk] = contribution.ledger_lot
    project = a_project()

    posted = posting.allocate(project, cloud, Decimal("150"), key="request:1")

    drawn = {entry.lot_id: entry.amount for entry in posted.entries.filter(amount__gt=0)}
    assert drawn == {lots[soon.pk].pk: Decimal("100.00"), lots[middle.pk].pk: Decimal("50.00")}
    assert posted.kind == LedgerTransaction.Kind.ALLOCATION
    assert balances.allocation_balance(project, cloud) == Decimal("150.00")
    assert balances.available(cloud) == Decimal("150.00")
    assert balances.soonest_expiry(cloud) == days(60)


def test_allocation_never_overdraws_and_is_idempotent(pledge, cloud):
    posting.receive_contribution(received_credit(pledge, cloud, "100", days(30), TODAY))
    project = a_project()
    with pytest.raises(LedgerError, match=r"only \$100 of credits"):
        posting.allocate(project, cloud, Decimal("100.01"), key="request:1")
    assert LedgerTransaction.objects.count() == 1  # the receipt only

    first = posting.allocate(project, cloud, Decimal("60"), key="request:1")
    assert posting.allocate(project, cloud, Decimal("60"), key="request:1") == first
    assert balances.available(cloud) == Decimal("40.00")


def test_lapsed_lots_are_not_allocated(pledge, cloud):
    posting.receive_contribution(received_credit(pledge, cloud, "100", days(-1), days(-30)))
    assert balances.available(cloud) == 0
    assert balances.soonest_expiry(cloud) is None
    with pytest.raises(LedgerError):
        posting.allocate(a_project(), cloud, Decimal("1"), key="request:1")


def test_cash_cover_is_explicit_and_bounded_by_the_cash_pool(pledge, cloud):
    posting.receive_contribution(received_credit(pledge, cloud, "100", days(30), TODAY))
    posting.receive_contribution(received_cash(pledge, "50", TODAY))
    project = a_project()
    with pytest.raises(LedgerError, match="cannot cover"):
        posting.allocate(project, cloud, Decimal("100"), cover_with_cash=Decimal("60"), key="a")

    posted = posting.allocate(project, cloud, Decimal("100"), cover_with_cash=Decimal("30"),
                              key="a")

    assert posted.kind == LedgerTransaction.Kind.CASH_COVER
    assert "$30 covered from earmarked cash" in posted.memo
    assert balances.cash_available() == Decimal("20.00")
    assert balances.allocation_balance(project, cloud) == Decimal("130.00")
    cash = posted.entries.filter(amount__gt=0, lot__provider=None).get()
    assert cash.amount == Decimal("30.00")


@pytest.mark.parametrize("amount", ["-1", "0.001", "0"])
def test_bad_amounts_are_refused(pledge, cloud, amount):
    posting.receive_contribution(received_credit(pledge, cloud, "100", days(30), TODAY))
    with pytest.raises(LedgerError):
        posting.allocate(a_project(), cloud, Decimal(amount), key="a")


def test_usage_draws_credits_before_cash_and_returns_its_excess(pledge, cloud):
    posting.receive_contribution(received_credit(pledge, cloud, "100", days(30), TODAY))
    posting.receive_contribution(received_cash(pledge, "50", TODAY))
    project = a_project()
    posting.allocate(project, cloud, Decimal("100"), cover_with_cash=Decimal("50"), key="a")
    allocation = posting.allocation_account(project, cloud)

    used = posting.record_usage(allocation, Decimal("120"), TODAY, key="usage:1")
    assert (used.posted, used.excess, used.repeat) == (Decimal("120"), 0, False)
    assert {e.lot.is_cash: e.amount for e in used.transaction.entries.filter(amount__gt=0)} \
        == {False: Decimal("100.00"), True: Decimal("20.00")}

    over = posting.record_usage(allocation, Decimal("45.50"), TODAY, key="usage:2")
    assert (over.posted, over.excess) == (Decimal("30.00"), Decimal("15.50"))
    again = posting.record_usage(allocation, Decimal("45.50"), TODAY, key="usage:2")
    assert again.transaction == over.transaction and again.repeat
    assert balances.allocation_balance(project, cloud) == 0
    assert not unbalanced_transactions()


def test_a_lapsed_lot_expires_once_from_the_pool_and_the_allocations(pledge, cloud):
    posting.receive_contribution(received_credit(pledge, cloud, "100", days(10), TODAY))
    posting.receive_contribution(received_credit(pledge, cloud, "40", days(20), TODAY))
    project = a_project()
    posting.allocate(project, cloud, Decimal("70"), key="a")
    posting.record_usage(posting.allocation_account(project, cloud), Decimal("25"), TODAY, "u")

    assert posting.expire_lapsed(days(10)) == []  # still valid on its last day
    expired = posting.expire_lapsed(days(11))
    assert posting.expire_lapsed(days(11)) == [] and posting.expire_lapsed(days(12)) == []

    assert len(expired) == 1
    figures = dict(balances.pool_figures().providers)[cloud]
    assert (figures.received, figures.allocated, figures.used, figures.expired,
            figures.remaining) == (Decimal("140"), Decimal("70"), Decimal("25"),
                                   Decimal("75"), Decimal("40"))
    assert balances.allocation_balance(project, cloud) == 0
    assert balances.available(cloud, days(11)) == Decimal("40.00")


def test_pool_figures_in_three_queries(pledge, django_assert_num_queries):
    for _ in range(3):
        cloud = a_provider()
        posting.receive_contribution(received_credit(pledge, cloud, "100", days(30), TODAY))
        posting.allocate(a_project(), cloud, Decimal("10"), key=f"a{cloud.pk}")
    posting.receive_contribution(received_cash(pledge, "7", TODAY))
    with django_assert_num_queries(3):
        figures = balances.pool_figures()
    assert [f.allocated for _, f in figures.providers] == [Decimal("10")] * 3
    assert [f.pledged for _, f in figures.providers] == [Decimal("100")] * 3
    assert (figures.cash.pledged, figures.cash.received, figures.cash.remaining) == (
        Decimal("7"), Decimal("7"), Decimal("7"))


def test_rows_are_immutable_in_code(pledge, cloud):
    posting.receive_contribution(received_credit(pledge, cloud, "100", days(30), TODAY))
    entry = Entry.objects.first()
    rows = [entry, entry.lot, entry.transaction, entry.account]
    for row in rows:
        with pytest.raises(ImmutableError):
            row.save()
        with pytest.raises(ImmutableError):
            row.delete()
        with pytest.raises(ImmutableError):
            type(row).objects.filter(pk=row.pk).update(pk=row.pk)
        with pytest.raises(ImmutableError):
            type(row).objects.all().delete()
    assert Entry.objects.count() == 2


@pytest.mark.parametrize("table", ["credits_entry", "credits_lot",
                                   "credits_ledgertransaction", "credits_account"])
@pytest.mark.parametrize("statement", ["UPDATE {} SET id = id", "DELETE FROM {}"])
def test_rows_are_immutable_in_the_database(pledge, cloud, table, statement):
    posting.receive_contribution(received_credit(pledge, cloud, "100", days(30), TODAY))
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(statement.format(table))
    assert Entry.objects.count() == 2 and Account.objects.count() == 2


def test_the_admin_only_reads_the_ledger():
    for model in (Account, Lot, LedgerTransaction):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(None)
        assert not model_admin.has_change_permission(None)
        assert not model_admin.has_delete_permission(None)
