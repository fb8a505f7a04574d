"""Two approvals at once against the same lots, on real PostgreSQL connections: the pool's
lock lets one through and the other finds the credits gone. And PostgreSQL itself refuses,
at commit, a transaction whose entries do not sum to zero."""

import contextlib
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from credits.ledger import balances, posting
from credits.ledger.models import Account, Entry, LedgerTransaction
from credits.ledger.posting import LedgerError
from tests.concurrency import at_once
from tests.credits.ledger_helpers import (
    a_pledge,
    a_project,
    a_provider,
    received_credit,
    unbalanced_transactions,
)

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = timezone.localdate()


def test_two_concurrent_approvals_cannot_overdraw(monkeypatch):
    cloud, pledge = a_provider(), a_pledge()
    for amount, days in (("60", 30), ("40", 90)):
        posting.receive_contribution(
            received_credit(pledge, cloud, amount, TODAY + timedelta(days=days), TODAY))
    first, second = a_project(), a_project()
    # Each approval, once it has read the lots, waits (a while) for the other to read them
    # too: without the pool's lock both would read 100 available and both allocate 70.
    both_read, read_lots = threading.Barrier(2), posting._lots_in

    def read_then_wait(*args):
        lots = read_lots(*args)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=2)
        return lots

    monkeypatch.setattr(posting, "_lots_in", read_then_wait)

    def approve(project, key):
        def run():
            try:
                return posting.allocate(project, cloud, Decimal("70"), key=key)
            except LedgerError as refused:
                return refused
        return run

    results = at_once(approve(first, "request:1"), approve(second, "request:2"))

    assert sorted(type(r).__name__ for r in results) == ["LedgerError", "LedgerTransaction"]
    assert balances.available(cloud) == Decimal("30.00")
    total = (balances.allocation_balance(first, cloud)
             + balances.allocation_balance(second, cloud))
    assert total == Decimal("70.00")
    assert not unbalanced_transactions()


def test_the_database_refuses_an_unbalanced_transaction_at_commit():
    cloud, pledge = a_provider(), a_pledge()
    posting.receive_contribution(
        received_credit(pledge, cloud, "100", TODAY + timedelta(days=30), TODAY))
    pool = Account.objects.get(kind=Account.Kind.POOL)
    lot = Entry.objects.filter(account=pool).get().lot

    with pytest.raises(DatabaseError, match="does not sum to zero"), transaction.atomic():
        posted = LedgerTransaction.objects.create(key="forged", kind="receipt", on=TODAY)
        Entry.objects.create(transaction=posted, account=pool, lot=lot, amount=Decimal("5"))

    assert not LedgerTransaction.objects.filter(key="forged").exists()
    assert balances.available(cloud) == Decimal("100.00")
