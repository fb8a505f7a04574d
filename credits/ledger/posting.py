"""Every write to the ledger. Each function runs in one database transaction, locks the
accounts whose value it takes (select_for_update on their rows, in the lock order below) and
is idempotent by a unique key per business event: posting the same event again finds its
transaction and changes nothing.

Lock order (after the caller's own rows: contribution, project, request): ledger accounts,
pools first, then the cash pool, then allocations, each by id. Only the accounts value leaves
are locked; an account that only receives needs no lock.

Callers (services) validate the person's input and audit; these functions refuse, with a
`LedgerError`, only what would break the ledger: a negative or fractional-cent amount, a
pool or the cash pool overdrawn."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from credits import usd
from credits.models import Contribution, Provider
from foundation.transitions import DomainError
from projects.models import Project

from .models import Account, Entry, LedgerTransaction, Lot

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
_LOCK_ORDER: dict[str, int] = {
    Account.Kind.POOL: 0, Account.Kind.CASH: 1, Account.Kind.ALLOCATION: 2}


class LedgerError(DomainError):
    """The posting would break the ledger (an overdrawn pool, a bad amount)."""


@dataclass
class Usage:
    """What `record_usage` posted: `posted` from the allocation, and `excess`, the part of
    the reported amount the allocation could not cover (flag it to staff). A repeated key
    gives the first posting's transaction, with `repeat` set and no excess."""

    transaction: LedgerTransaction
    posted: Decimal
    excess: Decimal = ZERO
    repeat: bool = False


@dataclass
class _Draft:
    """A transaction's entries before they are written; they must sum to zero."""

    entries: list[tuple[Account, Lot, Decimal]] = field(default_factory=list)

    def move(self, lot: Lot, amount: Decimal, source: Account, target: Account) -> None:
        if amount:
            self.entries += [(source, lot, -amount), (target, lot, amount)]


def _key(kind: str, provider: Provider | None = None, project_id: int | None = None) -> str:
    return ":".join([kind, *(str(p) for p in (project_id, provider and provider.pk) if p)])


Spec = tuple[str, Provider | None, int | None]  # an account's kind, provider, project id


def accounts(*specs: Spec) -> list[Account]:
    """The accounts of those kinds (and providers, and projects), in that order, created on
    first use: one query when they exist, three when some must be created."""
    keys = [_key(*spec) for spec in specs]
    found = {a.key: a for a in Account.objects.filter(key__in=keys)}
    if missing := [(key, spec) for key, spec in zip(keys, specs, strict=True)
                   if key not in found]:
        Account.objects.bulk_create(
            [Account(key=key, kind=kind, provider=provider, project_id=project_id)
             for key, (kind, provider, project_id) in missing], ignore_conflicts=True)
        found.update((a.key, a) for a in Account.objects.filter(key__in=[k for k, _ in missing]))
    return [found[key] for key in keys]


def account(kind: str, provider: Provider | None = None, project_id: int | None = None
            ) -> Account:
    """The account of that kind (and provider, and project), created on first use."""
    return accounts((kind, provider, project_id))[0]


def allocation_account(project: Project, provider: Provider) -> Account:
    """A project's allocation of a provider's credits: what `record_usage` draws from."""
    return account(Account.Kind.ALLOCATION, provider, project.pk)


def _lock(*accounts: Account) -> None:
    ordered = sorted(accounts, key=lambda a: (_LOCK_ORDER.get(a.kind, 3), a.pk))
    for one in ordered:  # one by one, so the order is the order the locks are taken
        list(Account.objects.select_for_update().filter(pk=one.pk).values_list("pk"))


def _amount(value: Decimal, what: str) -> Decimal:
    amount = Decimal(value)
    if amount < 0 or amount != amount.quantize(CENT):
        raise LedgerError(f"The {what} must be zero or more, in whole cents: {value}.")
    return amount.quantize(CENT)


def _posted(key: str) -> LedgerTransaction | None:
    return LedgerTransaction.objects.filter(key=key).first()


def _post(key: str, kind: str, on: date, draft: _Draft, memo: str = "") -> LedgerTransaction:
    if sum((amount for _, _, amount in draft.entries), ZERO) != 0:
        raise LedgerError("A ledger transaction's entries must sum to zero.")
    posted = LedgerTransaction.objects.create(key=key, kind=kind, on=on, memo=memo[:500])
    Entry.objects.bulk_create(Entry(transaction=posted, account=account_, lot=lot, amount=amount)
                              for account_, lot, amount in draft.entries)
    return posted


def _lots_in(source: Account, valid: Q | None = None) -> list[tuple[Lot, Decimal]]:
    """The lots with value in an account, with that value: soonest expiry first, cash (no
    expiry) last, then oldest first."""
    lots = (Lot.objects.filter(valid or Q(), entries__account=source)
            .annotate(balance=Sum("entries__amount")).filter(balance__gt=0)
            .order_by(F("valid_to").asc(nulls_last=True), "pk"))
    return [(lot, lot.balance) for lot in lots]


def _draw(lots: list[tuple[Lot, Decimal]], amount: Decimal, source: Account, target: Account,
          draft: _Draft) -> Decimal:
    """Move up to `amount` from the lots in order; return what could not be drawn."""
    for lot, balance in lots:
        take = min(balance, amount)
        draft.move(lot, take, source, target)
        amount -= take
        if not amount:
            break
    return amount


@transaction.atomic
def receive_contribution(contribution: Contribution) -> LedgerTransaction:
    """A received contribution's value enters the ledger as one lot: a credit into its
    provider's pool (expiring at its valid_to), cash into the earmarked cash pool. The only
    posting that creates value; receiving the same contribution again changes nothing."""
    key = f"receipt:contribution:{contribution.pk}"
    is_credit = contribution.kind == Contribution.Kind.CREDIT
    provider = contribution.provider if is_credit else None
    target, sponsors = accounts((Account.Kind.POOL if is_credit else Account.Kind.CASH,
                                 provider, None), (Account.Kind.SPONSORS, None, None))
    _lock(target)
    if posted := _posted(key):
        return posted
    if contribution.status != Contribution.Status.RECEIVED:
        raise LedgerError("Only a received contribution enters the ledger.")
    amount = _amount(contribution.amount_granted or contribution.value, "amount received")
    if not amount:
        raise LedgerError("A contribution received with no value adds nothing to the pool.")
    lot = Lot.objects.create(contribution=contribution, provider=provider, amount=amount,
                             valid_to=contribution.valid_to if is_credit else None)
    draft = _Draft()
    draft.move(lot, amount, sponsors, target)
    return _post(key, LedgerTransaction.Kind.RECEIPT,
                 contribution.received_on or timezone.localdate(), draft,
                 memo=f"{contribution} received")


@transaction.atomic
def allocate(project: Project, provider: Provider, amount: Decimal, *,
             cover_with_cash: Decimal = ZERO, key: str, on: date | None = None
             ) -> LedgerTransaction:
    """Move `amount` of the provider's credits to the project's allocation, from the lots
    valid on `on` (today) that expire soonest, and `cover_with_cash` from the earmarked cash
    pool, explicitly: the transaction is then of kind "cash_cover". Never overdraws: a pool
    short of the amount refuses the whole allocation."""
    on = on or timezone.localdate()
    amount, cover = _amount(amount, "amount"), _amount(cover_with_cash, "cash cover")
    if not amount + cover:
        raise LedgerError("An allocation needs an amount.")
    pool, target, *cash_pool = accounts(
        (Account.Kind.POOL, provider, None), (Account.Kind.ALLOCATION, provider, project.pk),
        *([(Account.Kind.CASH, None, None)] if cover else []))
    cash = cash_pool[0] if cash_pool else None
    _lock(*([pool, cash] if cash else [pool]))
    if posted := _posted(key):
        return posted
    draft = _Draft()
    if short := _draw(_lots_in(pool, Q(valid_to__gte=on)), amount, pool, target, draft):
        raise LedgerError(f"{provider} has only {usd(amount - short)} of credits available: "
                          f"{usd(amount)} cannot be allocated; cover the rest with cash.")
    if cash and _draw(_lots_in(cash), cover, cash, target, draft):
        raise LedgerError(f"The earmarked cash pool cannot cover {usd(cover)}.")
    kind = LedgerTransaction.Kind.CASH_COVER if cover else LedgerTransaction.Kind.ALLOCATION
    memo = f"{usd(amount)} of {provider} credits" + (
        f" and {usd(cover)} covered from earmarked cash" if cover else "")
    return _post(key, kind, on, draft, memo=memo)


@transaction.atomic
def record_usage(allocation: Account, amount: Decimal, on: date, key: str) -> Usage:
    """Usage of a project's allocation: its value moves to consumed, from the allocation's
    lots that expire soonest (cash cover last). The allocation is never overdrawn: what it
    cannot cover is returned as `excess`, for staff to see."""
    if allocation.kind != Account.Kind.ALLOCATION:
        raise LedgerError("Usage is recorded against an allocation.")
    amount = _amount(amount, "usage")
    _lock(allocation)
    if posted := _posted(key):
        return Usage(posted, _inflow(posted), repeat=True)
    assert allocation.provider is not None
    draft = _Draft()
    excess = _draw(_lots_in(allocation), amount, allocation,
                   account(Account.Kind.CONSUMED, allocation.provider), draft)
    posted = _post(key, LedgerTransaction.Kind.USAGE, on, draft,
                   memo=f"{usd(amount)} used" + (f", {usd(excess)} beyond the allocation"
                                                  if excess else ""))
    return Usage(posted, amount - excess, excess)


def _inflow(posted: LedgerTransaction) -> Decimal:
    return posted.entries.filter(amount__gt=0).aggregate(total=Sum("amount"))["total"] or ZERO


def expire_lapsed(today: date | None = None) -> list[LedgerTransaction]:
    """Post to expired what is left of every credit lot whose valid_to is before `today`, in
    its provider's pool and in allocations, once per lot (a lot with nothing left still gets
    its empty expiry transaction, so it is not looked at again)."""
    today = today or timezone.localdate()
    done = LedgerTransaction.objects.filter(key=Concat(
        Value("expiry:lot:"), Cast(OuterRef("pk"), CharField())))
    lapsed = (Lot.objects.filter(provider__isnull=False, valid_to__lt=today)
              .exclude(Exists(done)).select_related("provider").order_by("valid_to", "pk"))
    lots = list(lapsed)
    providers = {lot.provider_id: lot.provider for lot in lots}
    expired = dict(zip(providers, accounts(*((Account.Kind.EXPIRED, provider, None)
                                              for provider in providers.values())),
                       strict=True))
    return [posted for lot in lots
            if (posted := _expire(lot, expired[lot.provider_id], today))]


@transaction.atomic
def _expire(lot: Lot, expired: Account, today: date) -> LedgerTransaction | None:
    key = f"expiry:lot:{lot.pk}"
    holders = list(Account.objects.filter(
        entries__lot=lot, kind__in=[Account.Kind.POOL, Account.Kind.ALLOCATION]).distinct())
    _lock(*holders)
    if _posted(key):
        return None
    assert lot.provider is not None
    balances = (Entry.objects.filter(lot=lot, account__in=holders).values("account")
                .annotate(balance=Sum("amount")).filter(balance__gt=0))
    by_id = {holder.pk: holder for holder in holders}
    draft = _Draft()
    for row in balances:
        draft.move(lot, row["balance"], by_id[row["account"]], expired)
    return _post(key, LedgerTransaction.Kind.EXPIRY, today, draft,
                 memo=f"{lot.provider} credits lapsed on {lot.valid_to}")
