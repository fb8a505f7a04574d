"""Property: whatever the sequence of receipts (credit or cash), allocations (with or
without cash cover), usage and expiry runs, every transaction sums to zero, no pool, cash
pool or allocation goes negative, and every balance, per account and lot, equals that of a
simple in-memory model of the rules."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credits.ledger import balances, posting
from credits.ledger.models import Entry
from credits.ledger.posting import LedgerError
from tests.credits.ledger_helpers import (
    a_pledge,
    a_project,
    a_provider,
    received_cash,
    received_credit,
    unbalanced_transactions,
)

START = date(2026, 1, 1)
cents = st.integers(min_value=0, max_value=20_000).map(lambda c: Decimal(c).scaleb(-2))
positive = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c).scaleb(-2))
provider_index = st.integers(min_value=0, max_value=1)
project_index = st.integers(min_value=0, max_value=1)
operations = st.lists(st.one_of(
    st.tuples(st.just("credit"), provider_index, positive, st.integers(0, 40)),
    st.tuples(st.just("cash"), positive),
    st.tuples(st.just("allocate"), project_index, provider_index, cents, st.just(Decimal(0))),
    st.tuples(st.just("allocate"), project_index, provider_index, cents, positive),
    st.tuples(st.just("use"), project_index, provider_index, positive),
    st.tuples(st.just("expire"), st.integers(0, 20)),
), max_size=14)


@dataclass
class Model:
    """The rules, on plain dictionaries: balances per (account key, lot id)."""

    today: date = START
    lots: dict[int, tuple[int | None, date | None]] = field(default_factory=dict)
    held: dict[tuple[str, int], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    expired_lots: set[int] = field(default_factory=set)
    # what flowed into each kind of account, per lot's provider (None: cash)
    inflow: dict[tuple[str, int | None], Decimal] = field(
        default_factory=lambda: defaultdict(Decimal))

    def receive(self, lot_id, provider_id, amount, valid_to):
        self.lots[lot_id] = (provider_id, valid_to)
        self.move(lot_id, amount, "sponsors", f"pool:{provider_id}" if provider_id else "cash")

    def move(self, lot_id, amount, source, target):
        self.held[(source, lot_id)] -= amount
        self.held[(target, lot_id)] += amount
        self.inflow[(target.split(":")[0], self.lots[lot_id][0])] += amount

    def lots_in(self, key, valid_on=None):
        found = [(lot, amount) for (k, lot), amount in self.held.items()
                 if k == key and amount > 0
                 and (valid_on is None or self.lots[lot][1] >= valid_on)]
        return sorted(found, key=lambda la: (self.lots[la[0]][1] or date.max, la[0]))

    def draw(self, source, target, amount, valid_on=None):
        moves = []
        for lot, balance in self.lots_in(source, valid_on):
            take = min(balance, amount)
            moves.append((lot, take))
            amount -= take
        return moves, amount

    def allocate(self, project_id, provider_id, amount, cover) -> bool:
        target = f"allocation:{project_id}:{provider_id}"
        credit, short = self.draw(f"pool:{provider_id}", target, amount, self.today)
        cash, cash_short = self.draw("cash", target, cover)
        if short or cash_short or not amount + cover:
            return False
        for source, moves in ((f"pool:{provider_id}", credit), ("cash", cash)):
            for lot, take in moves:
                self.move(lot, take, source, target)
        return True

    def use(self, project_id, provider_id, amount) -> Decimal:
        source = f"allocation:{project_id}:{provider_id}"
        moves, excess = self.draw(source, f"consumed:{provider_id}", amount)
        for lot, take in moves:
            self.move(lot, take, source, f"consumed:{provider_id}")
        return excess

    def expire(self):
        for lot, (provider_id, valid_to) in self.lots.items():
            if provider_id and valid_to < self.today and lot not in self.expired_lots:
                self.expired_lots.add(lot)
                for (key, held_lot), amount in list(self.held.items()):
                    if held_lot == lot and amount > 0 and key.split(":")[0] in (
                            "pool", "allocation"):
                        self.move(lot, amount, key, f"expired:{provider_id}")


def ledger_balances():
    rows = Entry.objects.values("account__key", "lot").annotate(total=Sum("amount"))
    return {(row["account__key"], row["lot"]): row["total"] for row in rows if row["total"]}


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations)
def test_any_sequence_keeps_the_ledger_balanced_and_equal_to_the_model(ops):
    with transaction.atomic():
        run(ops)
        transaction.set_rollback(True)  # each example starts from an empty ledger


def run(ops):
    pledge = a_pledge()
    providers, projects = [a_provider(), a_provider()], [a_project(), a_project()]
    model = Model()
    for n, op in enumerate(ops):
        match op:
            case ("credit", p, amount, days):
                contribution = received_credit(pledge, providers[p], amount,
                                               model.today + timedelta(days=days), model.today)
                posting.receive_contribution(contribution)
                model.receive(contribution.ledger_lot.pk, providers[p].pk, amount,
                              contribution.valid_to)
            case ("cash", amount):
                contribution = received_cash(pledge, amount, model.today)
                posting.receive_contribution(contribution)
                model.receive(contribution.ledger_lot.pk, None, amount, None)
            case ("allocate", j, p, amount, cover):
                expected = model.allocate(projects[j].pk, providers[p].pk, amount, cover)
                try:
                    posting.allocate(projects[j], providers[p], amount, cover_with_cash=cover,
                                     key=f"allocate:{n}", on=model.today)
                    assert expected, "the ledger allocated what the model refused"
                except LedgerError:
                    assert not expected, "the ledger refused what the model allocated"
            case ("use", j, p, amount):
                excess = model.use(projects[j].pk, providers[p].pk, amount)
                used = posting.record_usage(posting.allocation_account(projects[j], providers[p]),
                                            amount, model.today, key=f"use:{n}")
                assert used.excess == excess and used.posted == amount - excess
            case ("expire", days):
                model.today += timedelta(days=days)
                model.expire()
                posting.expire_lapsed(model.today)
        check(model, providers)


def check(model, providers):
    assert not unbalanced_transactions()
    derived = ledger_balances()
    assert derived == {key: amount for key, amount in model.held.items() if amount}
    for (key, _lot), amount in derived.items():
        if key != "sponsors":
            assert amount > 0, f"{key} went negative"
    figures = dict(balances.pool_figures().providers)
    for provider in providers:
        pool = f"pool:{provider.pk}"
        assert balances.available(provider, model.today) == sum(
            (amount for _, amount in model.lots_in(pool, model.today)), Decimal(0))
        lots = model.lots_in(pool, model.today)
        assert balances.soonest_expiry(provider, model.today) == (
            model.lots[lots[0][0]][1] if lots else None)
        one = figures.get(provider)
        if one is not None:
            assert (one.received, one.allocated, one.used, one.expired, one.remaining) == (
                model.inflow[("pool", provider.pk)], model.inflow[("allocation", provider.pk)],
                model.inflow[("consumed", provider.pk)], model.inflow[("expired", provider.pk)],
                sum((a for (k, _), a in model.held.items() if k == pool), Decimal(0)))
    cash = balances.pool_figures().cash
    assert (cash.received, cash.allocated, cash.used, cash.remaining) == (
        model.inflow[("cash", None)], model.inflow[("allocation", None)],
        model.inflow[("consumed", None)], balances.cash_available())
