"""What the public and staff see of the credit pool: each provider's figures and the cash
pool's (ledger/balances.py's pool_figures), and each provider's burn-down: credits used per
month, what is left (received, less used and expired) at each month's end, and when it runs
out at the trailing three months' pace. Read-only, in a constant number of queries (four)
whatever the number of providers, projects and entries; nothing here names a sponsor, a
project or a redemption reference."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from credits.ledger import balances
from credits.ledger.balances import Figures, PoolFigures, pool_figures
from credits.ledger.models import Account, Entry
from credits.models import Provider
from credits.public import in_millions

ZERO = Decimal("0.00")
MONTHS_SHOWN = 12  # the burn-down's months, the current one last
TRAILING = 3  # complete months whose average usage makes the forecast
DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12


def month_start(day: date, back: int = 0) -> date:
    """The first day of `day`'s month, `back` months earlier."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Month:
    start: date
    used: Decimal  # credits consumed in the month
    left: Decimal  # received, less used and expired, at the month's end (today for this one)


@dataclass
class Burndown:
    """One provider's credits over the last MONTHS_SHOWN months, oldest first."""

    provider: Provider
    months: list[Month]
    left: Decimal  # received, less used and expired, today: the pool and the allocations
    monthly_pace: Decimal | None  # the trailing complete months' average usage; None: no usage
    exhausted_on: date | None  # when `left` runs out at that pace; None without usage
    today: date


def forecast(left: Decimal, pace: Decimal | None, today: date) -> date | None:
    """When `left` runs out at `pace` a month: today when nothing is left, None without
    usage."""
    if not pace or pace <= 0:
        return None
    if left <= 0:
        return today
    days = (left / pace * DAYS_PER_MONTH).to_integral_value(rounding=ROUND_HALF_UP)
    return today + timedelta(days=int(days))


def burndowns(providers: list[Provider], today: date | None = None) -> list[Burndown]:
    """The burn-down of each of `providers` that has received credits, in their order, from
    one aggregate query over the entries (by lot provider, account kind and month)."""
    today = today or timezone.localdate()
    first_shown = month_start(today, MONTHS_SHOWN - 1)
    rows = (Entry.objects
            .filter(lot__provider__in=[p.pk for p in providers],
                    account__kind__in=[Account.Kind.SPONSORS, Account.Kind.CONSUMED,
                                       Account.Kind.EXPIRED])
            .values("lot__provider", "account__kind", month=TruncMonth("transaction__on"))
            .annotate(total=Sum("amount")).order_by())
    # Per provider: the change in what is left before the window, and per month shown.
    before: dict[int, Decimal] = {}
    change: dict[tuple[int, date], Decimal] = {}
    used: dict[tuple[int, date], Decimal] = {}
    received: dict[int, Decimal] = {}
    for row in rows:
        provider, kind, total = row["lot__provider"], row["account__kind"], row["total"]
        month = row["month"]  # a date: the month's first day
        # A receipt leaves the sponsors' account (negative): what is left grows by it;
        # usage and expiry enter their accounts (positive): it shrinks by them.
        delta = -total
        if kind == Account.Kind.SPONSORS:
            received[provider] = received.get(provider, ZERO) - total
        if kind == Account.Kind.CONSUMED and month >= first_shown:
            used[provider, month] = used.get((provider, month), ZERO) + total
        if month < first_shown:
            before[provider] = before.get(provider, ZERO) + delta
        else:
            change[provider, month] = change.get((provider, month), ZERO) + delta
    starts = [month_start(today, back) for back in range(MONTHS_SHOWN - 1, -1, -1)]
    shown = []
    for provider in providers:
        if not received.get(provider.pk):
            continue
        left = before.get(provider.pk, ZERO)
        months = []
        for start in starts:
            left += change.get((provider.pk, start), ZERO)
            months.append(Month(start, used.get((provider.pk, start), ZERO), left))
        trailing = sum((m.used for m in months[-TRAILING - 1:-1]), ZERO)
        pace = (trailing / TRAILING).quantize(Decimal("0.01")) if trailing else None
        shown.append(Burndown(provider=provider, months=months, left=left, monthly_pace=pace,
                              exhausted_on=forecast(left, pace, today), today=today))
    return shown


@dataclass
class Transparency:
    """The public figures: each provider's, the cash pool's, the burn-downs and the total
    left to allocate (the providers' pools and the cash pool)."""

    providers: list[tuple[Provider, Figures]]
    cash: Figures
    burndowns: list[Burndown]

    @property
    def available(self) -> Decimal:
        return sum((f.remaining for _, f in self.providers), ZERO) + self.cash.remaining

    @property
    def is_empty(self) -> bool:
        """Nothing pledged nor received yet: the page asks sponsors to pledge instead."""
        everything = [f for _, f in self.providers] + [self.cash]
        return not any(f.pledged or f.received for f in everything)


def transparency(today: date | None = None) -> Transparency:
    """Everything /credits/transparency/ and /api/credits.json show, in four queries."""
    figures: PoolFigures = pool_figures()
    providers = [provider for provider, _ in figures.providers]
    return Transparency(providers=figures.providers, cash=figures.cash,
                        burndowns=burndowns(providers, today))


def home_figures() -> dict[str, dict[str, Any]]:
    """The home page's figure: what the credit pool can still give projects, in words that
    fit its box ($1.2 million)."""
    available = balances.pool_available()
    return {"credits_pool": {"available": available, "words": in_millions(available)}}
