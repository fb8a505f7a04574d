"""The ledger's figures, derived from its entries by aggregate queries on the indexed
(account, lot) columns: nothing here writes, and no balance is stored anywhere."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from credits.models import Contribution, Provider
from credits.models.pledges import COUNTED
from projects.models import Project

from .models import Account, Entry, Lot

ZERO = Decimal("0.00")


def _sum(entries: "Q") -> Decimal:
    return Entry.objects.filter(entries).aggregate(total=Sum("amount"))["total"] or ZERO


def balance(account: Account) -> Decimal:
    """What an account holds now."""
    return _sum(Q(account=account))


def available(provider: Provider, on: date | None = None) -> Decimal:
    """The provider's credits in its pool that can still be allocated on `on` (today): lots
    not yet lapsed."""
    on = on or timezone.localdate()
    return _sum(Q(account__kind=Account.Kind.POOL, account__provider=provider,
                  lot__valid_to__gte=on))


def cash_available() -> Decimal:
    """The earmarked cash pool."""
    return _sum(Q(account__kind=Account.Kind.CASH))


def pool_available(on: date | None = None) -> Decimal:
    """What the whole pool can still give projects on `on` (today): every provider's credits
    not yet lapsed and the earmarked cash, in one query."""
    on = on or timezone.localdate()
    return _sum(Q(account__kind=Account.Kind.POOL, lot__valid_to__gte=on)
                | Q(account__kind=Account.Kind.CASH))


def soonest_expiry(provider: Provider, on: date | None = None) -> date | None:
    """The expiry date of the provider's pooled lot that lapses first, among those with
    credits left on `on` (today)."""
    on = on or timezone.localdate()
    return (Lot.objects.filter(provider=provider, valid_to__gte=on,
                               entries__account__kind=Account.Kind.POOL)
            .annotate(balance=Sum("entries__amount")).filter(balance__gt=0)
            .order_by("valid_to").values_list("valid_to", flat=True).first())


def allocation_balance(project: Project, provider: Provider) -> Decimal:
    """What is left of the project's allocation of the provider's credits (cash cover
    included)."""
    return _sum(Q(account__kind=Account.Kind.ALLOCATION, account__project=project,
                  account__provider=provider))


@dataclass
class Figures:
    """One provider's (or the cash pool's) figures in USD. `pledged` counts confirmed
    pledges' contributions not yet received too; the rest are the ledger's sums."""

    pledged: Decimal = ZERO
    received: Decimal = ZERO
    allocated: Decimal = ZERO
    used: Decimal = ZERO
    expired: Decimal = ZERO
    remaining: Decimal = ZERO


@dataclass
class PoolFigures:
    providers: list[tuple[Provider, Figures]]  # by provider name
    cash: Figures


def pool_figures() -> PoolFigures:
    """Every provider's figures and the cash pool's, in three queries whatever the number
    of providers and entries. `remaining` is what the pool holds (allocations hold the
    rest of what was received and not used or expired)."""
    figures: dict[int | None, Figures] = {}
    pledged = (Contribution.objects.filter(pledge__status__in=COUNTED)
               .values("kind", "provider").annotate(total=Sum("face_value"),
                                                    cash=Sum("cash_amount")))
    for row in pledged:
        is_credit = row["kind"] == Contribution.Kind.CREDIT
        key = row["provider"] if is_credit else None
        figures.setdefault(key, Figures()).pledged += (
            (row["total"] if is_credit else row["cash"]) or ZERO)
    sums = (Entry.objects.values("account__kind", "lot__provider")
            .annotate(inflow=Sum("amount", filter=Q(amount__gt=0)), balance=Sum("amount")))
    field = {Account.Kind.ALLOCATION: "allocated", Account.Kind.CONSUMED: "used",
             Account.Kind.EXPIRED: "expired"}
    for row in sums:
        kind, one = row["account__kind"], figures.setdefault(row["lot__provider"], Figures())
        if kind in (Account.Kind.POOL, Account.Kind.CASH):
            one.remaining += row["balance"] or ZERO
        elif kind == Account.Kind.SPONSORS:
            one.received -= row["balance"] or ZERO
        else:
            setattr(one, field[kind], getattr(one, field[kind]) + (row["inflow"] or ZERO))
    cash = figures.pop(None, Figures())
    providers = Provider.objects.filter(pk__in=list(figures)).order_by("name")
    return PoolFigures(providers=[(p, figures[p.pk]) for p in providers], cash=cash)
