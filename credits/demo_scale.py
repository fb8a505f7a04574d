"""Generated sponsors for the benchmark and for trying the programme's pages at scale
(`seed_demo --sponsors N`).

Like members' scale data (members/demo_scale.py, whose names, people and invoice numbering
this reuses), everything is written with bulk_create, and the rows look like what the
services leave behind: pledges in each status, credit and cash contributions (cash invoiced,
paid when received), each confirmed sponsor's year at the level its total reaches, with its
benefits checklist, and the audit entries. Each run adds new sponsors."""

import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Lower
from django.utils import timezone

from credits import programme_year, usd
from credits.selectors import level_for
from foundation.accounts.models import Organization, OrganizationRole, Role, User
from foundation.billing.models import Invoice, InvoiceLine, Payment
from foundation.checklists.models import ChecklistItem
from foundation.models import AuditEntry
from members.demo_scale import (
    BATCH,
    COMPANY_FORMS,
    COUNTRIES,
    FIRST_NAMES,
    LAST_NAMES,
    _at,
    _audit,
    _Names,
    _number,
    _person,
)
from projects.models import Project

from .ledger import posting
from .ledger.models import Account, Entry, LedgerTransaction, Lot
from .ledger.posting import CENT
from .models import Benefit, Contribution, Level, Pledge, Provider, SponsorYear
from .services.benefits import PLACEMENT_KEY
from .transparency import month_start

# Of generated sponsors: the level their pledge aims at, and what became of it.
LEVEL_WEIGHTS = (60, 28, 12)  # lowest level first
SUBMITTED_SHARE, CANCELLED_SHARE = 0.08, 0.04
CREDIT_SHARE = 0.7  # of contributions
RECEIVED_SHARE = 0.6  # of a confirmed pledge's contributions, once a month has passed
DELIVERED_LATE_SHARE = 0.95  # of benefit items past their due date: a few are overdue
PAYMENT_TERMS = timedelta(days=30)


@dataclass
class _Sponsor:
    org: Organization
    admin: User
    pledge: Pledge
    submitted: date
    contributions: list[Contribution] = field(default_factory=list)
    invoices: list[tuple[Contribution, Invoice]] = field(default_factory=list)
    sponsor_year: SponsorYear | None = None


def _bulk(model, rows: list) -> list:
    return model.objects.bulk_create(rows, batch_size=BATCH)


def _split(rng: random.Random, total: Decimal) -> list[Decimal]:
    """One to three amounts, in whole dollars, that add up to `total`."""
    parts = rng.choice((1, 1, 2, 3))
    shares = [rng.randint(2, 10) for _ in range(parts)]
    amounts = [(total * share / sum(shares)).quantize(Decimal("1")) for share in shares]
    amounts[-1] = total - sum(amounts[:-1])
    return [amount for amount in amounts if amount > 0]


def _day_in(rng: random.Random, first: date, today: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (today - first).days)))


def _build(rng: random.Random, count: int, levels: list[Level], providers: list[Provider],
           year: int, today: date) -> list[_Sponsor]:
    names = _Names(rng)
    first_day = min(date(year, 1, 1), today)
    built = []
    for _ in range(count):
        country = rng.choice(COUNTRIES)
        display, slug = names.take(Organization.Type.COMPANY, country)
        org = Organization(legal_name=f"{display} {rng.choice(COMPANY_FORMS)}",
                           display_name=display, slug=slug, website=f"https://www.{slug}.example",
                           type=Organization.Type.COMPANY,
                           employees=max(50, int(rng.lognormvariate(8.5, 1.5))))
        admin = _person(rng, f"{slug}.example")
        aim = rng.choices(levels, LEVEL_WEIGHTS if len(levels) == len(LEVEL_WEIGHTS)
                          else None)[0]
        # A little above the level's threshold (a level with no threshold: $250,000).
        total = (aim.threshold_usd or Decimal("250000")) * rng.randint(100, 160) / 100
        roll = rng.random()
        status = (Pledge.Status.SUBMITTED if roll < SUBMITTED_SHARE
                  else Pledge.Status.CANCELLED if roll < SUBMITTED_SHARE + CANCELLED_SHARE
                  else Pledge.Status.CONFIRMED)
        # Staff confirm within days: a pledge still waiting came in lately.
        submitted = _day_in(rng, max(first_day, today - timedelta(days=20))
                            if status == Pledge.Status.SUBMITTED else first_day, today)
        confirmed = min(submitted + timedelta(days=rng.randint(1, 14)), today) \
            if status != Pledge.Status.SUBMITTED else None
        contact = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        pledge = Pledge(
            organization=org, year=year, status=status, listed_publicly=rng.random() < 0.85,
            agreement_signed_on=confirmed, confirmed_at=_at(confirmed) if confirmed else None,
            cancel_reason="The sponsor's budget moved to next year."
            if status == Pledge.Status.CANCELLED else "",
            offering_description=(f"{display} credits for GPU and CPU capacity in PyTorch CI."
                                  if aim == levels[-1] else ""),
            contact_name=contact, contact_email=f"oss-support@{slug}.example",
            sla_hours=rng.choice((4, 8, 24, 48, 72)), support_channel=Pledge.Channel.EMAIL,
            support_channel_value=f"oss-support@{slug}.example",
            support_hours="Monday to Friday, 9:00–17:00", created_by=admin,
            billing_address=f"1 {display} Way\n{country}")
        sponsor = _Sponsor(org=org, admin=admin, pledge=pledge, submitted=submitted)
        for amount in _split(rng, total):
            if providers and rng.random() < CREDIT_SHARE:
                provider = rng.choice(providers)
                services = [s for s in provider.services.splitlines() if s.strip()]
                contribution = Contribution(
                    kind=Contribution.Kind.CREDIT, provider=provider,
                    service=rng.choice(services) if services else "Compute for CI",
                    face_value=amount, valid_from=submitted,
                    valid_to=date(year + 1, 12, 31),
                    redemption_method=rng.choice(Contribution.Redemption.values[:3]))
            else:
                contribution = Contribution(kind=Contribution.Kind.CASH, cash_amount=amount)
            if status == Pledge.Status.CONFIRMED and confirmed is not None \
                    and (today - confirmed).days > 30 and rng.random() < RECEIVED_SHARE:
                contribution.status = Contribution.Status.RECEIVED
                contribution.amount_granted = amount
                contribution.received_on = min(confirmed + timedelta(days=rng.randint(5, 30)),
                                               today)
                if contribution.kind == Contribution.Kind.CREDIT:
                    contribution.redemption_reference = f"DEMO-{slug[:16].upper()}"
            sponsor.contributions.append(contribution)
        if status == Pledge.Status.CONFIRMED and all(
                c.status == Contribution.Status.RECEIVED for c in sponsor.contributions):
            pledge.status = Pledge.Status.FULFILLED
        built.append(sponsor)
    return built


def _invoices(sponsors: list[_Sponsor]) -> list[tuple[Contribution, Invoice]]:
    """Cash of confirmed pledges is invoiced at confirmation; received cash is paid."""
    for sponsor in sponsors:
        pledge = sponsor.pledge
        if pledge.agreement_signed_on is None:
            continue
        for contribution in sponsor.contributions:
            if contribution.kind != Contribution.Kind.CASH:
                continue
            issued = pledge.agreement_signed_on
            received_on = contribution.received_on
            assert contribution.cash_amount is not None
            cancelled = pledge.status == Pledge.Status.CANCELLED
            sponsor.invoices.append((contribution, Invoice(
                organization=sponsor.org, total=contribution.cash_amount, issue_date=issued,
                due_date=issued + PAYMENT_TERMS, billing_name=sponsor.org.legal_name,
                billing_address=pledge.billing_address, billing_emails=[sponsor.admin.email],
                status=(Invoice.Status.PAID if received_on else Invoice.Status.VOID if cancelled
                        else Invoice.Status.OPEN),
                paid_at=_at(received_on) if received_on else None)))
    planned = [entry for sponsor in sponsors for entry in sponsor.invoices]
    _number([invoice for _, invoice in planned])
    _bulk(Invoice, [invoice for _, invoice in planned])
    lines, payments = [], []
    for sponsor in sponsors:
        for contribution, invoice in sponsor.invoices:
            contribution.invoice = invoice
            lines.append(InvoiceLine(invoice=invoice, unit_amount=invoice.total, description=(
                f"Cash contribution to the cloud credit programme, {sponsor.pledge.year}")))
            if invoice.paid_at is not None:
                payments.append(Payment(invoice=invoice, method=Payment.Method.WIRE,
                                        amount=invoice.total, received_at=invoice.paid_at,
                                        reference=f"Wire {invoice.number}"))
    _bulk(InvoiceLine, lines)
    _bulk(Payment, payments)
    return planned


def _checklists(rng: random.Random, sponsors: list[_Sponsor],
                today: date) -> list[ChecklistItem]:
    benefits = list(Benefit.objects.select_related("level", "default_owner"))
    holder_type = ContentType.objects.get_for_model(SponsorYear)
    items = []
    for sponsor in sponsors:
        year = sponsor.sponsor_year
        if year is None or year.level is None:
            continue
        confirmed: date | None = sponsor.pledge.agreement_signed_on
        assert confirmed is not None  # a sponsor year is made on confirmation
        for benefit in benefits:
            if benefit.level.threshold_usd > year.level.threshold_usd:
                continue
            due = confirmed + timedelta(days=benefit.due_days)
            provide = (benefit.sponsor_must_provide
                       if benefit.fulfilment == Benefit.Fulfilment.SPONSOR_INPUT else "")
            placement = benefit.key == PLACEMENT_KEY
            done = sponsor.pledge.listed_publicly if placement \
                else due < today and rng.random() < DELIVERED_LATE_SHARE
            status = (ChecklistItem.Status.DELIVERED if done
                      # An unlisted sponsor has no place on the wall to deliver.
                      else ChecklistItem.Status.NOT_APPLICABLE if placement
                      else ChecklistItem.Status.WAITING_ON_MEMBER if provide
                      else ChecklistItem.Status.TODO)
            items.append(ChecklistItem(
                holder_type=holder_type, holder_id=str(year.pk), key=benefit.key,
                title=benefit.title, description=benefit.description, due_date=due,
                member_must_provide=provide, owner=benefit.default_owner, status=status,
                proof=f"Delivered by the foundation's staff on {min(due, today):%-d %B %Y}."
                if done else "",
                delivered_at=_at(min(due, today)) if done else None))
    return _bulk(ChecklistItem, items)


@transaction.atomic
def seed_scale(sponsors: int, stdout) -> int:
    """Add `sponsors` organizations, each with its admin, a pledge of the programme year, its
    contributions (cash invoiced), its sponsor year and checklist once confirmed, and the
    audit entries. Safe to run again: each run adds new ones."""
    started = time.monotonic()
    levels = list(Level.objects.order_by("threshold_usd"))
    if not levels:
        raise ValueError("No programme levels: load the programme first (seed_demo does).")
    providers = list(Provider.objects.accepted())
    year, today = programme_year(), timezone.localdate()
    # Seeded by what exists, so a benchmark on a fresh database gets the same data each time.
    rng = random.Random(Organization.objects.count() * 7 + Pledge.objects.count())
    built = _build(rng, sponsors, levels, providers, year, today)
    _unused_emails([sponsor.admin for sponsor in built])

    _bulk(User, [sponsor.admin for sponsor in built])
    _bulk(EmailAddress, [EmailAddress(user=s.admin, email=s.admin.email, verified=True,
                                      primary=True) for s in built])
    _bulk(Organization, [sponsor.org for sponsor in built])
    _bulk(OrganizationRole, [OrganizationRole(organization=s.org, user=s.admin, role=Role.ADMIN)
                             for s in built])
    _bulk(Pledge, [sponsor.pledge for sponsor in built])
    for sponsor in built:  # created_at is set to now on insert
        sponsor.pledge.created_at = _at(sponsor.submitted)
    Pledge.objects.bulk_update([s.pledge for s in built], ["created_at"], batch_size=BATCH)
    for sponsor in built:
        for contribution in sponsor.contributions:
            contribution.pledge = sponsor.pledge
    planned = _invoices(built)
    contributions = _bulk(Contribution, [c for s in built for c in s.contributions])
    subject_type = ContentType.objects.get_for_model(Contribution)
    for contribution, invoice in planned:
        invoice.subject_type, invoice.subject_id = subject_type, str(contribution.pk)
    Invoice.objects.bulk_update([invoice for _, invoice in planned],
                                ["subject_type", "subject_id"], batch_size=BATCH)
    lots = _post_receipts(contributions)

    counted = [s for s in built if s.pledge.status in {Pledge.Status.CONFIRMED,
                                                         Pledge.Status.FULFILLED}]
    for sponsor in counted:
        total = sum((c.value for c in sponsor.contributions), Decimal("0.00"))
        sponsor.sponsor_year = SponsorYear(organization=sponsor.org, year=year,
                                           level=level_for(total, levels).level)
    _bulk(SponsorYear, [s.sponsor_year for s in counted])
    items = _checklists(rng, counted, today)

    entries = []
    for sponsor in built:
        pledge = sponsor.pledge
        entries.append(_audit(sponsor.org, "organization.create", sponsor.admin,
                              new={"slug": sponsor.org.slug}))
        entries.append(_audit(pledge, "pledge.create", sponsor.admin,
                              new={"status": Pledge.Status.SUBMITTED,
                                   "total": str(sum(c.value for c in sponsor.contributions))}))
        if pledge.agreement_signed_on:
            entries.append(_audit(pledge, "pledge.confirm", None,
                                  old={"status": Pledge.Status.SUBMITTED},
                                  new={"status": Pledge.Status.CONFIRMED}))
        if pledge.status == Pledge.Status.CANCELLED:
            entries.append(_audit(pledge, "pledge.cancel", None,
                                  old={"status": Pledge.Status.CONFIRMED},
                                  new={"status": Pledge.Status.CANCELLED},
                                  note=pledge.cancel_reason))
    _bulk(AuditEntry, entries)

    stdout.write(
        f"Sponsors: {len(built)} organizations, {len(built)} pledges ({len(counted)} "
        f"confirmed), {len(contributions)} contributions, {len(planned)} cash invoices, "
        f"{len(items)} benefit items, {len(entries)} audit entries, {lots} ledger lots in "
        f"{time.monotonic() - started:.1f} s.")
    return len(built)


def _unused_emails(people: list[User]) -> None:
    """E-mails are unique: an address someone already has gets a number."""
    wanted = [person.email.lower() for person in people]
    taken = set(User.objects.annotate(address=Lower("email")).filter(address__in=wanted)
                .values_list("address", flat=True))
    for person in people:
        local, domain = person.email.split("@")
        n = 1
        while person.email.lower() in taken:
            n += 1
            person.email = f"{local}{n}@{domain}"
        taken.add(person.email.lower())


def _post_receipts(contributions: list[Contribution]) -> int:
    """The received contributions' lots, receipt transactions and entries, in bulk and under
    the receipt hook's keys, as receive_contribution would have posted them one by one."""
    received = [c for c in contributions if c.status == Contribution.Status.RECEIVED]
    if not received:
        return 0
    provider_ids = sorted({c.provider_id for c in received if c.provider_id})
    providers = Provider.objects.in_bulk(provider_ids)
    specs = [(Account.Kind.SPONSORS, None, None), (Account.Kind.CASH, None, None),
             *((Account.Kind.POOL, providers[pk], None) for pk in provider_ids)]
    sponsors, cash, *pools = posting.accounts(*specs)
    pool_of = dict(zip(provider_ids, pools, strict=True))
    lots, transactions = [], []
    for c in received:
        is_credit = c.kind == Contribution.Kind.CREDIT
        lots.append(Lot(contribution=c, provider_id=c.provider_id if is_credit else None,
                        amount=c.amount_granted or c.value,
                        valid_to=c.valid_to if is_credit else None))
        transactions.append(LedgerTransaction(
            key=f"receipt:contribution:{c.pk}", kind=LedgerTransaction.Kind.RECEIPT,
            on=c.received_on or timezone.localdate(), memo=f"{c} received"[:500]))
    _bulk(Lot, lots)
    _bulk(LedgerTransaction, transactions)
    entries = []
    for lot, posted in zip(lots, transactions, strict=True):
        target = pool_of[lot.provider_id] if lot.provider_id else cash
        entries += [Entry(transaction=posted, account=sponsors, lot=lot, amount=-lot.amount),
                    Entry(transaction=posted, account=target, lot=lot, amount=lot.amount)]
    _bulk(Entry, entries)
    return len(lots)


# Of the pool: what a hosted project without an allocation gets, and uses each month.
ALLOCATION_SHARE = Decimal("0.08")  # of its provider's available credits
MONTHLY_USE_SHARE = Decimal("0.12")  # of the allocation, for each month since it was made
USE_MONTHS = 4


@transaction.atomic
def seed_allocations(stdout) -> int:
    """Allocations for the hosted projects that have none yet (those `seed_demo --projects`
    made among them), each from one provider's soonest-expiring lots, with its usage over
    the past months: transactions and entries in bulk, balanced, never overdrawing a pool or
    an allocation. Safe to run again: a project with an allocation is left alone."""
    started = time.monotonic()
    today = timezone.localdate()
    allocated = Account.objects.filter(kind=Account.Kind.ALLOCATION).values("project")
    projects = list(Project.objects.filter(status=Project.Status.HOSTED)
                    .exclude(pk__in=allocated).order_by("pk"))
    pools = list(Account.objects.filter(kind=Account.Kind.POOL).select_related("provider")
                 .order_by("provider__name"))
    if not projects or not pools:
        return 0
    pool_ids = [pool.pk for pool in pools]
    balances: dict[int, list[list]] = {pk: [] for pk in pool_ids}  # pool: [[lot, balance]]
    received: dict[int, date] = {}  # lot: when it was received
    for row in (Entry.objects.filter(account__in=pool_ids, lot__valid_to__gte=today)
                .values("account", "lot", "lot__contribution__received_on")
                .annotate(balance=Sum("amount"))
                .filter(balance__gt=0).order_by("lot__valid_to", "lot")):
        balances[row["account"]].append([row["lot"], row["balance"]])
        received[row["lot"]] = row["lot__contribution__received_on"] or today
    first_month = month_start(today, USE_MONTHS)
    plans = []
    for n, project in enumerate(projects):
        pool = pools[n % len(pools)]
        lots = balances[pool.pk]
        amount = (sum((b for _, b in lots), Decimal(0)) * ALLOCATION_SHARE).quantize(CENT)
        if amount <= 0:
            continue
        drawn, left = [], amount
        for held in lots:
            take = min(held[1], left)
            if take:
                drawn.append((held[0], take))
                held[1] -= take
                left -= take
            if not left:
                break
        plans.append((project, pool, drawn))
    if not plans:
        return 0
    targets = posting.accounts(*((Account.Kind.ALLOCATION, pool.provider, project.pk)
                                 for project, pool, _ in plans))
    consumed = dict(zip(pool_ids, posting.accounts(
        *((Account.Kind.CONSUMED, pool.provider, None) for pool in pools)), strict=True))
    transactions, drafts = [], []
    for (project, pool, drawn), target in zip(plans, targets, strict=True):
        key = f"scale:{project.pk}:{pool.provider_id}"
        total = sum((take for _, take in drawn), Decimal(0))
        # Allocated once its lots were in: never before the last of them was received.
        allocated_on = max([first_month, *(received[lot] for lot, _ in drawn)])
        transactions.append(LedgerTransaction(
            key=f"{key}:allocation", kind=LedgerTransaction.Kind.ALLOCATION, on=allocated_on,
            memo=f"{usd(total)} of {pool.provider} credits"))
        drafts.append([(pool, lot, -take) for lot, take in drawn]
                      + [(target, lot, take) for lot, take in drawn])
        # Usage each month since, from the allocation's lots in the order they were drawn.
        use = (total * MONTHLY_USE_SHARE).quantize(CENT)
        held = [[lot, take] for lot, take in drawn]
        for back in range(USE_MONTHS, -1, -1):
            month = month_start(today, back)
            used_on = min(month.replace(day=28), today)
            if used_on < allocated_on:
                continue
            entries = []
            left = use
            for lot_held in held:
                take = min(lot_held[1], left)
                if take:
                    entries += [(target, lot_held[0], -take),
                                (consumed[pool.pk], lot_held[0], take)]
                    lot_held[1] -= take
                    left -= take
            if entries:
                transactions.append(LedgerTransaction(
                    key=f"{key}:usage:{month:%Y-%m}", kind=LedgerTransaction.Kind.USAGE,
                    on=used_on, memo=f"{usd(use - left)} used"))
                drafts.append(entries)
    _bulk(LedgerTransaction, transactions)
    _bulk(Entry, [Entry(transaction=posted, account=account, lot_id=lot, amount=amount)
                  for posted, draft in zip(transactions, drafts, strict=True)
                  for account, lot, amount in draft])
    stdout.write(f"Credit pool: {len(plans)} allocations to hosted projects and "
                 f"{len(transactions) - len(plans)} months of usage in "
                 f"{time.monotonic() - started:.1f} s.")
    return len(plans)
