"""A foundation-sized demo data set, for the benchmark and for trying pages at scale.

Everything is written with bulk_create: running the services once per organization would
take an hour at 5,000 organizations and audit, e-mail and queue work nobody wants here. The
rows look like what the services leave behind (statuses, terms, numbered invoices, payments,
checklists, audit entries), so pages read them as they would read real members.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from foundation.accounts.countries import country_code
from foundation.accounts.models import Organization, OrganizationRole, Role, User
from foundation.billing.models import Invoice, InvoiceLine, InvoiceSequence, Payment
from foundation.checklists.models import ChecklistItem
from foundation.models import AuditEntry

from .models import Application, Membership, MembershipTerm, Tier, add_year
from .services.applications import current_agreement
from .services.memberships import RENEWAL_NOTICE, term_end

BATCH = 1000
PAYMENT_TERMS = timedelta(days=30)

NAME_HEADS = ("Acme", "Aurora", "Beacon", "Bluefin", "Boreal", "Brightwave", "Cascade", "Cedar",
              "Cobalt", "Coral", "Crescent", "Delta", "Ember", "Evergreen", "Falcon", "Fathom",
              "Fjord", "Granite", "Harbor", "Helix", "Horizon", "Indigo", "Ironwood", "Juniper",
              "Keystone", "Kestrel", "Lattice", "Lumen", "Magnolia", "Meridian", "Monarch",
              "Nimbus", "Northwind", "Oakridge", "Onyx", "Orbital", "Pacific", "Paragon",
              "Pinnacle", "Polaris", "Prairie", "Quantum", "Quarry", "Radiant", "Redwood",
              "Ridgeline", "Sable", "Sapphire", "Sentinel", "Sierra", "Solstice", "Spruce",
              "Summit", "Tandem", "Tidal", "Trident", "Umber", "Vantage", "Vector", "Verdant",
              "Willow", "Zenith", "Zephyr")
NAME_TAILS = ("AI", "Analytics", "Automation", "Bio", "Cloud", "Compute", "Data", "Devices",
              "Dynamics", "Energy", "Foundry", "Genomics", "Health", "Imaging", "Informatics",
              "Insights", "Labs", "Logic", "Machines", "Materials", "Media", "Medical", "Micro",
              "Mobility", "Networks", "Optics", "Photonics", "Quantum", "Research", "Robotics",
              "Security", "Semiconductor", "Silicon", "Software", "Systems", "Telecom", "Vision",
              "Works")
COMPANY_FORMS = ("Inc.", "Ltd", "GmbH", "Corporation", "LLC", "S.A.", "K.K.", "B.V.", "AG", "plc")
CITIES = ("Aarhus", "Adelaide", "Ann Arbor", "Austin", "Bangalore", "Barcelona", "Bergen",
          "Bologna", "Boston", "Bristol", "Brno", "Cambridge", "Cape Town", "Chennai", "Cork",
          "Delft", "Dresden", "Edinburgh", "Eindhoven", "Geneva", "Ghent", "Gothenburg", "Graz",
          "Grenoble", "Haifa", "Helsinki", "Hyderabad", "Kyoto", "Lausanne", "Leiden", "Leuven",
          "Lisbon", "Lyon", "Madison", "Manchester", "Melbourne", "Montreal", "Munich", "Nagoya",
          "Nantes", "Osaka", "Oslo", "Oxford", "Padua", "Pisa", "Porto", "Pune", "Quebec",
          "Rennes", "Santiago", "Seoul", "Seville", "Stuttgart", "Sydney", "Taipei", "Tartu",
          "Toronto", "Toulouse", "Trondheim", "Turin", "Uppsala", "Utrecht", "Valencia",
          "Vancouver", "Warsaw", "Waterloo", "Zurich")
ACADEMIC_PATTERNS = ("University of {city}", "{city} Institute of Technology",
                     "{city} Polytechnic University", "{city} University of Applied Sciences",
                     "{city} School of Engineering", "{head} College, {city}")
NONPROFIT_PATTERNS = ("{head} Foundation", "{head} Open Science Institute",
                      "{head} {tail} Consortium", "{head} Open Source Collective")
GOVERNMENT_PATTERNS = ("{city} National Laboratory", "{city} Centre for Scientific Computing",
                       "{city} Agency for Digital Research")
PATTERNS = {Organization.Type.ACADEMIC: ACADEMIC_PATTERNS,
            Organization.Type.NONPROFIT: NONPROFIT_PATTERNS,
            Organization.Type.GOVERNMENT: GOVERNMENT_PATTERNS}
COUNTRIES = ("United States", "United Kingdom", "Germany", "France", "Japan", "India", "Canada",
             "China", "South Korea", "Netherlands", "Switzerland", "Sweden", "Brazil",
             "Israel", "Singapore", "Australia", "Spain", "Italy", "Finland", "Ireland")
FIRST_NAMES = ("Aiko", "Amara", "Anders", "Ana", "Arjun", "Beatriz", "Chen", "Chiara", "Daniel",
               "Dmitri", "Elena", "Emeka", "Fatima", "Felix", "Grace", "Hana", "Ibrahim", "Ines",
               "Jonas", "Julia", "Kai", "Kavya", "Lars", "Leila", "Lucas", "Maya", "Mateo", "Mei",
               "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael", "Rosa", "Samir", "Sofia",
               "Tomas", "Yuki", "Zara")
LAST_NAMES = ("Adeyemi", "Bauer", "Castillo", "Chen", "Costa", "Dubois", "Eriksen", "Fischer",
              "Garcia", "Haddad", "Ito", "Jansen", "Kim", "Kowalski", "Larsen", "Lopez", "Martin",
              "Moreau", "Nakamura", "Novak", "Okafor", "Patel", "Rossi", "Sato", "Schmidt",
              "Silva", "Singh", "Tanaka", "Varga", "Wagner", "Wang", "Yilmaz", "Zhang")
TITLES = ("Chief Technology Officer", "VP Engineering", "Head of Open Source",
          "Director of AI Research", "General Counsel", "Chief Operating Officer")
# Organization types as a foundation's membership has them: mostly companies.
TYPE_WEIGHTS = {Organization.Type.COMPANY: 70, Organization.Type.ACADEMIC: 15,
                Organization.Type.NONPROFIT: 12, Organization.Type.GOVERNMENT: 3}
# Log-normal (mu, sigma) of consolidated employees per type.
EMPLOYEES = {Organization.Type.COMPANY: (6.0, 2.0), Organization.Type.ACADEMIC: (8.0, 1.0),
             Organization.Type.NONPROFIT: (3.5, 1.2), Organization.Type.GOVERNMENT: (7.5, 1.5)}
TOP_TIER_SHARE = 0.04  # of companies: the most prominent tier has a few members


@dataclass
class _Org:
    """One organization being built, and the rows that hang off it."""

    org: Organization
    tier: Tier | None
    fee: Decimal
    pending: bool
    starts_on: date
    people: list[tuple[User, str]] = field(default_factory=list)
    terms: list[MembershipTerm] = field(default_factory=list)
    invoices: list[tuple[MembershipTerm, Invoice, date | None, str]] = field(default_factory=list)

    @property
    def admin(self) -> User:
        return self.people[0][0]

    @property
    def billing_email(self) -> str:
        """Where invoices go: the billing contact, or the admin without one."""
        return next((u.email for u, role in self.people if role == Role.BILLING),
                    self.admin.email)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _bulk(model, rows: list) -> list:
    return model.objects.bulk_create(rows, batch_size=BATCH)


class _Names:
    """Organization names and slugs not yet in the database nor in this run."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        existing = Organization.objects.values_list("slug", "display_name")
        self.slugs = {slug.lower() for slug, _ in existing}
        self.names = {name for _, name in existing}

    def _draw(self, kind: str) -> str:
        r = self.rng
        patterns = PATTERNS.get(kind, ("{head} {tail}",))
        return r.choice(patterns).format(city=r.choice(CITIES), head=r.choice(NAME_HEADS),
                                         tail=r.choice(NAME_TAILS))

    def take(self, kind: str, country: str) -> tuple[str, str]:
        name = self._draw(kind)
        for _ in range(10):
            if name not in self.names:
                break
            name = self._draw(kind)
        else:
            name = f"{name} {country}"
        base = slugify(name)[:70].strip("-")
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.names.add(name)
        self.slugs.add(slug)
        return name, slug


def _pick_tier(rng: random.Random, tiers: list[Tier], kind: str) -> Tier | None:
    """A few companies in the most prominent tier; the others in the tiers their type may
    join, preferring a tier meant for their type (the free tier for academics)."""
    top, rest = tiers[0], tiers[1:]
    if kind == Organization.Type.COMPANY and top.eligible(kind) and rng.random() < TOP_TIER_SHARE:
        return top
    eligible = [t for t in rest if t.eligible(kind)]
    targeted = [t for t in eligible if t.eligible_types]
    if targeted and rng.random() < 0.9:
        return targeted[0]
    return rng.choice(eligible) if eligible else None


def _person(rng: random.Random, domain: str, local: str = "") -> User:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return User(email=f"{local or f'{first}.{last}'.lower()}@{domain}", first_name=first,
                last_name=last, password=make_password(None))


def _build(rng: random.Random, count: int, tiers: list[Tier], today: date) -> list[_Org]:
    names = _Names(rng)
    kinds, weights = list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values())
    built = []
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        country = rng.choice(COUNTRIES)
        display, slug = names.take(kind, country)
        tier = _pick_tier(rng, tiers, kind)
        mu, sigma = EMPLOYEES[kind]
        if tier is tiers[0]:
            mu, sigma = 10.5, 1.0
        employees = max(1, min(2_000_000, int(rng.lognormvariate(mu, sigma))))
        fee = tier.fee_for(employees) if tier else Decimal("0")
        legal = (f"{display} {rng.choice(COMPANY_FORMS)}" if kind == Organization.Type.COMPANY
                 else display)
        org = Organization(legal_name=legal, display_name=display, slug=slug,
                           country=country_code(country),
                           website=f"https://www.{slug}.example", type=kind,
                           employees=employees)
        pending = fee > 0 and rng.random() < 0.05
        starts_on = today - timedelta(days=rng.randint(0, 20) if pending
                                      else rng.randint(1, 1000))
        item = _Org(org=org, tier=tier, fee=fee, pending=pending, starts_on=starts_on)
        domain = f"{slug}.example"
        item.people.append((_person(rng, domain), Role.ADMIN))
        if rng.random() < 0.4:
            item.people.append((_person(rng, domain, "accounts-payable"), Role.BILLING))
        if rng.random() < 0.3:
            item.people.append((_person(rng, domain, "opensource"), Role.TECHNICAL))
        built.append(item)
    return built


def _unused_emails(built: list[_Org]) -> None:
    """E-mails are unique: an address someone already has gets a number."""
    wanted = [user.email for item in built for user, _ in item.people]
    taken = set(User.objects.annotate(address=Lower("email")).filter(address__in=wanted)
                .values_list("address", flat=True))
    for item in built:
        for user, _ in item.people:
            n = 1
            local, domain = user.email.split("@")
            while user.email.lower() in taken:
                n += 1
                user.email = f"{local}{n}@{domain}"
            taken.add(user.email.lower())


def _plan_terms(rng: random.Random, item: _Org, today: date) -> Membership:
    """The membership and its terms: past terms paid, the current one paid, and a renewal
    term invoiced 60 days before the end, paid or still open. A pending member has one
    unpaid first term."""
    membership = Membership(
        organization=item.org, tier=item.tier,
        status=Membership.Status.PENDING if item.pending else Membership.Status.ACTIVE,
        board_representative=(f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                              if item.tier.has_board_seat else ""),
    )
    start = item.starts_on
    while True:
        first = start == item.starts_on
        renewal_due = not first and start > today
        paid = not item.pending and (not renewal_due or rng.random() < 0.35)
        term = MembershipTerm(membership=membership, starts_on=start, ends_on=term_end(start),
                              fee=item.fee, paid=paid or item.fee == 0)
        item.terms.append(term)
        if item.fee:
            issued = start if first else start - timedelta(days=rng.randint(45, 60))
            issued = min(issued, today)
            paid_on = min(issued + timedelta(days=rng.randint(1, 40)), today) if paid else None
            method = rng.choice([Payment.Method.STRIPE, Payment.Method.WIRE])
            item.invoices.append((term, Invoice(
                organization=item.org, total=item.fee, issue_date=issued,
                due_date=issued + PAYMENT_TERMS, billing_name=item.org.legal_name,
                billing_address=f"1 {item.org.display_name} Way\n{item.org.country.name}",
                billing_emails=[item.billing_email],
                status=Invoice.Status.PAID if paid else Invoice.Status.OPEN,
                paid_at=_at(paid_on) if paid_on else None,
            ), paid_on, method))
        if item.pending or start > today or term.ends_on > today + RENEWAL_NOTICE:
            break
        start = add_year(start)
    if not item.pending:  # a pending membership gets its dates when it is paid
        membership.starts_on = item.starts_on
        membership.ends_on = max(t.ends_on for t in item.terms if t.paid)
    return membership


def _number(invoices: list[Invoice]) -> None:
    """Give the invoices numbers that continue each year's gap-free sequence, in order of
    issue, under the sequence's lock as invoice_issue takes it."""
    by_year: dict[int, list[Invoice]] = {}
    for invoice in sorted(invoices, key=lambda i: i.issue_date):
        by_year.setdefault(invoice.issue_date.year, []).append(invoice)
    for year, issued in by_year.items():
        InvoiceSequence.objects.bulk_create([InvoiceSequence(year=year)], ignore_conflicts=True)
        sequence = InvoiceSequence.objects.select_for_update().get(year=year)
        for n, invoice in enumerate(issued, start=sequence.last_number + 1):
            invoice.number = f"INV-{year}-{n:04d}"
        sequence.last_number += len(issued)
        sequence.save(update_fields=["last_number"])


def _audit(obj, action: str, actor: User | None, *, old=None, new=None, note="") -> AuditEntry:
    return AuditEntry(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk),
                      object_repr=str(obj)[:200], actor=actor, action=action, old_value=old,
                      new_value=new, note=note)


@transaction.atomic
def seed_scale(orgs: int, stdout) -> int:
    """Add `orgs` organizations with their people, memberships, terms, invoices, payments,
    checklists and audit entries. Safe to run again: each run adds new ones."""
    started = time.monotonic()
    tiers = list(Tier.objects.prefetch_related("fee_bands").order_by("order", "name"))
    if not tiers:
        raise ValueError("No membership tiers: load the catalogue first (seed_demo does).")
    agreement = current_agreement()
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    today = timezone.localdate()
    # Seeded by what exists, so a benchmark on a fresh database gets the same data each time.
    rng = random.Random(Organization.objects.count())
    built = _build(rng, orgs, tiers, today)
    _unused_emails(built)

    _bulk(User, [user for item in built for user, _ in item.people])
    _bulk(EmailAddress, [EmailAddress(user=user, email=user.email, verified=True, primary=True)
                         for item in built for user, _ in item.people])
    _bulk(Organization, [item.org for item in built])
    _bulk(OrganizationRole, [OrganizationRole(organization=item.org, user=user, role=role)
                             for item in built for user, role in item.people])

    members = [item for item in built if item.tier]
    applications, memberships = [], []
    for item in members:
        admin = item.admin
        signed = _at(item.starts_on - timedelta(days=rng.randint(3, 20)))
        applications.append(Application(
            organization=item.org, tier=item.tier, submitted_by=admin,
            status=Application.Status.APPROVED if item.pending else Application.Status.COMPLETED,
            submitted_at=signed - timedelta(days=rng.randint(1, 30)), annual_fee=item.fee,
            employees=item.org.employees, signatory_name=str(admin),
            signatory_title=rng.choice(TITLES), signatory_email=admin.email,
            billing_email=item.billing_email,
            billing_address=f"1 {item.org.display_name} Way\n{item.org.country.name}",
            lf_silver_attested=item.tier.requires_lf_silver, agreement=agreement,
            decided_at=signed, signed_at=signed, signed_name=str(admin),
            signed_version=agreement,
        ))
        memberships.append(_plan_terms(rng, item, today))
    _bulk(Application, applications)
    for application, membership in zip(applications, memberships, strict=True):
        membership.application = application
    _bulk(Membership, memberships)
    terms = [term for item in members for term in item.terms]
    _bulk(MembershipTerm, terms)

    planned = [entry for item in members for entry in item.invoices]
    term_type = ContentType.objects.get_for_model(MembershipTerm)
    for term, invoice, _, _ in planned:
        invoice.subject_type, invoice.subject_id = term_type, str(term.pk)
    _number([invoice for _, invoice, _, _ in planned])
    _bulk(Invoice, [invoice for _, invoice, _, _ in planned])
    lines, payments = [], []
    for term, invoice, paid_on, method in planned:
        term.invoice = invoice
        lines.append(InvoiceLine(invoice=invoice, unit_amount=invoice.total, description=(
            f"{term.membership.tier} membership, {term.starts_on:%-d %b %Y} – "
            f"{term.ends_on:%-d %b %Y}")))
        if paid_on:
            stripe = method == Payment.Method.STRIPE
            payments.append(Payment(
                invoice=invoice, method=method, amount=invoice.total, received_at=_at(paid_on),
                stripe_id=f"pi_demo_{invoice.number}" if stripe else None,
                reference="" if stripe else f"Wire {invoice.number}",
                recorded_by=None if stripe else staff))
    _bulk(InvoiceLine, lines)
    MembershipTerm.objects.bulk_update([t for t, _, _, _ in planned], ["invoice"],
                                       batch_size=BATCH)
    _bulk(Payment, payments)

    membership_type = ContentType.objects.get_for_model(Membership)
    benefits = {t.pk: list(t.benefits.filter(deliverable=True)) for t in tiers}
    items = []
    for membership in memberships:
        if membership.status != Membership.Status.ACTIVE:
            continue
        for benefit in benefits[membership.tier_id]:
            due = membership.starts_on + timedelta(days=benefit.due_days)
            done = due < today and rng.random() < 0.85
            items.append(ChecklistItem(
                holder_type=membership_type, holder_id=str(membership.pk), key=benefit.key,
                title=benefit.name, due_date=due, member_must_provide=benefit.member_must_provide,
                status=ChecklistItem.Status.DELIVERED if done else ChecklistItem.Status.TODO,
                delivered_at=_at(due) if done else None))
    _bulk(ChecklistItem, items)

    entries = []
    for item in built:
        entries.append(_audit(item.org, "organization.create", item.admin,
                              new={"slug": item.org.slug}))
    for application, membership in zip(applications, memberships, strict=True):
        entries.append(_audit(application, "application.submit", application.submitted_by,
                              new={"status": Application.Status.UNDER_REVIEW,
                                   "tier": application.tier.slug,
                                   "fee": str(application.annual_fee)}))
        if membership.status == Membership.Status.ACTIVE:
            entries.append(_audit(membership, "membership.activate", None,
                                  old={"status": Membership.Status.PENDING},
                                  new={"status": Membership.Status.ACTIVE,
                                       "starts_on": membership.starts_on.isoformat()}))
    for _, invoice, paid_on, method in planned:
        entries.append(_audit(invoice, "invoice.issue", None, old={"status": "draft"},
                              new={"status": "open", "number": invoice.number}))
        if paid_on:
            entries.append(_audit(invoice, "invoice.paid", None, old={"status": "open"},
                                  new={"status": "paid"},
                                  note=Payment.Method(method).label))
    _bulk(AuditEntry, entries)

    stdout.write(
        f"Scale data: {len(built)} organizations, {len(memberships)} memberships, "
        f"{len(terms)} terms, {len(planned)} invoices ({len(payments)} paid), "
        f"{len(entries)} audit entries in {time.monotonic() - started:.1f} s.")
    return len(built)
